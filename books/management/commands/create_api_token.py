from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from books.tokens import issue_api_token


class Command(BaseCommand):
    help = "Issue a bearer token with which an API client can add books as the given user."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username", help="The user the token acts as (needs 'add book').")
        parser.add_argument("--name", default="api", help="What the token is for.")

    def handle(self, *args, username: str, name: str, **options) -> None:
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(
                f"No active user {username!r}. Create one with `manage.py createsuperuser`."
            )
        if not user.has_perm("books.add_book"):
            raise CommandError(f"{username!r} lacks the 'books.add_book' permission.")
        token = issue_api_token(user=user, name=name)
        self.stdout.write(self.style.SUCCESS(f"Token for {username} (shown once): {token}"))
