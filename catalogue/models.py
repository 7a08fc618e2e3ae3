from django.db import models


class BookRevision(models.Model):
    """The latest version of a changed or removed book, as the book events told it.

    Read models store books as the events of their time carried them; their selectors show the
    revision instead where there is one, so that a changed title shows and a removed book goes
    everywhere at once, whichever topic's events arrive first."""

    book_id = models.BigIntegerField(unique=True)
    book = models.JSONField(help_text="The book as its latest change event carried it.")
    removed = models.BooleanField(default=False)
    changed_at = models.DateTimeField(help_text="The latest change event's ce_time.")

    def __str__(self) -> str:
        return f"book {self.book_id}{' (removed)' if self.removed else ''}"
