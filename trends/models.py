from django.db import models

from events.envelope import MAX_ID_LENGTH


class TrendingQuery(models.Model):
    """How often a query was searched, and the books its latest search found."""

    query = models.TextField(help_text="Normalized: see trends.services.normalize_query.")
    # Unique on a digest rather than on `query`: MySQL's collations fold "café" and "cafe"
    # together where Python does not, and case-folding can make a query longer than a column.
    query_digest = models.CharField(max_length=64, unique=True, editable=False)
    count = models.PositiveBigIntegerField(
        default=0, help_text="How many distinct returning visitors searched it."
    )
    books = models.JSONField(
        default=list, help_text="The latest search's results, as in the event."
    )
    last_searched_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "trending queries"
        indexes = [models.Index(fields=["-count", "-last_searched_at"], name="trend_top_idx")]

    def __str__(self) -> str:
        return f"{self.query} ({self.count})"


class TrendVisitor(models.Model):
    """A visitor who searched a query: a trend's count is how many of these it has, so that one
    visitor searching it again and again counts once."""

    query_digest = models.CharField(max_length=64)
    visitor_id = models.CharField(max_length=MAX_ID_LENGTH)
    event_id = models.CharField(
        max_length=MAX_ID_LENGTH, help_text="The search (ce_id) that first counted this visitor."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["query_digest", "visitor_id"], name="trend_visitor_once_per_query"
            )
        ]

    def __str__(self) -> str:
        return f"{self.visitor_id} searched {self.query_digest}"


class HiddenQuery(models.Model):
    """A query staff took out of the trends. Not part of the trends read model (which
    `rebuild_view trends` empties): a staff decision is not in the events to rebuild it from."""

    query_digest = models.CharField(max_length=64, unique=True)
    query = models.TextField()
    hidden_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "hidden queries"

    def __str__(self) -> str:
        return self.query


class BookViews(models.Model):
    """How often a book's page was opened on one day (UTC): the "Most viewed" box sums a week."""

    book_id = models.BigIntegerField()
    day = models.DateField()
    views = models.PositiveBigIntegerField(default=0)
    book = models.JSONField(help_text="The book as the day's latest view event carried it.")
    last_viewed_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "book views"
        constraints = [
            models.UniqueConstraint(fields=["book_id", "day"], name="book_views_once_per_day")
        ]
        indexes = [models.Index(fields=["day", "book_id"], name="book_views_day_idx")]

    def __str__(self) -> str:
        return f"book {self.book_id} on {self.day}: {self.views}"
