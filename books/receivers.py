"""Turning single-book writes, from wherever they come (the admin, the API, a shell), into the
books app's own signals. Both run inside the writing transaction: Book.save() opens one, and
Django deletes in one. The bulk loaders send `books_added` themselves (bulk_create sends no
post_save). Each of those signals gives the catalogue a new version, in that same transaction,
so that no search is served from a cache of the catalogue before it (books/cache.py)."""

from django.dispatch import receiver

from books.cache import bump_catalogue_version
from books.models import Book
from books.serializers import book_as_json
from books.signals import books_added, books_changed, books_removed


def announce_saved_book(
    sender: type[Book], *, instance: Book, created: bool, raw: bool, **kwargs: object
) -> None:
    if raw:  # loaddata: a fixture restores rows, it does not change the catalogue…
        bump_catalogue_version()  # …but it changes what a search finds
        return
    signal = books_added if created else books_changed
    signal.send(sender=Book, books=[book_as_json(instance)])


def announce_deleted_book(sender: type[Book], *, instance: Book, **kwargs: object) -> None:
    books_removed.send(sender=Book, books=[book_as_json(instance)])


@receiver(
    [books_added, books_changed, books_removed], sender=Book, dispatch_uid="books.new_version"
)
def new_catalogue_version(sender: type[Book], **kwargs: object) -> None:
    bump_catalogue_version()
