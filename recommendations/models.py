from django.db import models

from events.envelope import MAX_ID_LENGTH


class Interest(models.Model):
    """How often a visitor's searches found a book: the basis of their recommendations."""

    visitor_id = models.CharField(max_length=MAX_ID_LENGTH, help_text="The visitor's uid cookie.")
    book_id = models.BigIntegerField()
    score = models.PositiveIntegerField(default=0)
    book = models.JSONField(help_text="The book as the latest event carried it.")
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["visitor_id", "book_id"], name="interest_once_per_book")
        ]
        indexes = [
            models.Index(fields=["visitor_id", "-score", "-updated_at"], name="interest_top_idx")
        ]

    def __str__(self) -> str:
        return f"{self.visitor_id} → book {self.book_id} ({self.score})"


class OpenedBook(models.Model):
    """A book whose page a visitor has opened: left out of their recommendations."""

    visitor_id = models.CharField(max_length=MAX_ID_LENGTH)
    book_id = models.BigIntegerField()
    opened_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["visitor_id", "book_id"], name="opened_once_per_book")
        ]

    def __str__(self) -> str:
        return f"{self.visitor_id} opened book {self.book_id}"
