from django.conf import settings
from django.db import models

from events.envelope import MAX_ID_LENGTH

# How many of a visitor's latest seeds (books found or opened) count: for a new pair, those
# among which it is looked for, and for recommendations, those they start from. What the
# visitor is browsing now, and a bound on the work per event and per page.
SEEDS_PER_VISITOR = 50


class Interest(models.Model):
    """A book a visitor's searches found: one of their seeds, remembered with the query that
    found it last, the reason shown beside what it leads to."""

    visitor_id = models.CharField(max_length=MAX_ID_LENGTH, help_text="The visitor's uid cookie.")
    book_id = models.BigIntegerField()
    score = models.PositiveIntegerField(default=0)
    book = models.JSONField(help_text="The book as the latest event carried it.")
    query = models.CharField(
        max_length=settings.SEARCH_QUERY_MAX_LENGTH,
        default="",
        help_text="The latest search that found the book.",
    )
    found_at = models.DateTimeField(help_text="When a search of the visitor first found it.")
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["visitor_id", "book_id"], name="interest_once_per_book")
        ]
        indexes = [
            models.Index(fields=["visitor_id", "-score", "-updated_at"], name="interest_top_idx"),
            models.Index(fields=["visitor_id", "-found_at"], name="interest_seed_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.visitor_id} → book {self.book_id} ({self.score})"


class OpenedBook(models.Model):
    """A book whose page a visitor has opened: one of their seeds, and left out of their
    recommendations."""

    visitor_id = models.CharField(max_length=MAX_ID_LENGTH)
    book_id = models.BigIntegerField()
    book = models.JSONField(default=dict, help_text="The book as the first view carried it.")
    opened_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["visitor_id", "book_id"], name="opened_once_per_book")
        ]
        indexes = [models.Index(fields=["visitor_id", "-opened_at"], name="opened_seed_idx")]

    def __str__(self) -> str:
        return f"{self.visitor_id} opened book {self.book_id}"


class CoOccurrence(models.Model):
    """How many visitors who found or opened the seed book went on to open `book_id`: an
    aggregate without visitor ids, kept when a visitor is forgotten."""

    seed_book_id = models.BigIntegerField()
    book_id = models.BigIntegerField()
    visitors = models.PositiveIntegerField(default=0)
    book = models.JSONField(help_text="The opened book as the latest event carried it.")
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["seed_book_id", "book_id"], name="cooccurrence_once")
        ]
        indexes = [models.Index(fields=["seed_book_id", "-visitors"], name="cooccurrence_top_idx")]

    def __str__(self) -> str:
        return f"book {self.seed_book_id} → book {self.book_id} ({self.visitors} visitors)"
