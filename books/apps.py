from django.apps import AppConfig
from django.core import checks


class BooksConfig(AppConfig):
    name = "books"
    verbose_name = "Books"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from books.checks import check_page_size
        from books.models import Book
        from books.receivers import announce_deleted_book, announce_saved_book

        post_save.connect(announce_saved_book, sender=Book, dispatch_uid="books.saved")
        post_delete.connect(announce_deleted_book, sender=Book, dispatch_uid="books.deleted")
        checks.register(check_page_size, checks.Tags.compatibility)
