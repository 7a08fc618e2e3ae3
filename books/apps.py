from django.apps import AppConfig
from django.core import checks


class BooksConfig(AppConfig):
    name = "books"
    verbose_name = "Books"

    def ready(self) -> None:
        from books.checks import check_page_size

        checks.register(check_page_size, checks.Tags.compatibility)
