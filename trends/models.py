from django.db import models

from events.envelope import MAX_ID_LENGTH


class TrendingQuery(models.Model):
    """A query that found books: its all-time count (the seed's) and the books its latest
    search found. The windows' counts are its `TrendHour` rows."""

    query = models.TextField(help_text="Normalized: see trends.services.normalize_query.")
    # Unique on a digest rather than on `query`: MySQL's collations fold "café" and "cafe"
    # together where Python does not, and case-folding can make a query longer than a column.
    query_digest = models.CharField(max_length=64, unique=True, editable=False)
    count = models.PositiveBigIntegerField(
        default=0, help_text="Visitors who searched it, each once per hour, all time."
    )
    books = models.JSONField(
        default=list, help_text="The latest search's first page, as in the event."
    )
    last_searched_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "trending queries"
        indexes = [models.Index(fields=["-count", "-last_searched_at"], name="trend_top_idx")]

    def __str__(self) -> str:
        return f"{self.query} ({self.count})"


class TrendHour(models.Model):
    """How many visitors searched a query (and found books) in one UTC hour: a window's count
    is the sum of its hours."""

    query_digest = models.CharField(max_length=64)
    hour = models.DateTimeField(help_text="The hour's start (UTC).")
    count = models.PositiveBigIntegerField(default=0)
    last_searched_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["query_digest", "hour"], name="trend_hour_once")
        ]
        indexes = [models.Index(fields=["hour", "query_digest"], name="trend_hour_idx")]

    def __str__(self) -> str:
        return f"{self.query_digest} at {self.hour}: {self.count}"


class TrendVisitor(models.Model):
    """A visitor who searched a query in one UTC hour: the hour counts the visitor once
    however often they reload, turn pages or ask the API again."""

    query_digest = models.CharField(max_length=64)
    visitor_id = models.CharField(max_length=MAX_ID_LENGTH, db_index=True)
    hour = models.DateTimeField(help_text="The hour's start (UTC).")
    event_id = models.CharField(
        max_length=MAX_ID_LENGTH, help_text="The search (ce_id) that counted this visitor."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["query_digest", "visitor_id", "hour"],
                name="trend_visitor_once_per_hour",
            )
        ]

    def __str__(self) -> str:
        return f"{self.visitor_id} searched {self.query_digest} at {self.hour}"


class UnmetQuery(models.Model):
    """A query a search found nothing for: the shop's unmet demand. Its visitors are its
    `UnmetSearch` rows."""

    query = models.TextField(help_text="Normalized: see trends.services.normalize_query.")
    query_digest = models.CharField(max_length=64, unique=True, editable=False)
    last_searched_at = models.DateTimeField()

    class Meta:
        verbose_name = "search that found nothing"
        verbose_name_plural = "searches that found nothing"

    def __str__(self) -> str:
        return self.query


class UnmetSearch(models.Model):
    """A visitor whose search of a query found nothing, once per UTC hour."""

    # Keyed by the digest rather than the row's id, so that a batch inserts these without
    # reading the queries' ids back; no database constraint, so that the order in which a
    # batch (or a rebuild's delete) writes the two tables does not matter.
    query = models.ForeignKey(
        UnmetQuery,
        on_delete=models.DO_NOTHING,
        to_field="query_digest",
        db_column="query_digest",
        db_constraint=False,
        db_index=False,  # the unique constraint's first column
        related_name="searches",
    )
    visitor_id = models.CharField(max_length=MAX_ID_LENGTH, db_index=True)
    hour = models.DateTimeField(help_text="The hour's start (UTC).")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["query", "visitor_id", "hour"], name="unmet_search_once_per_hour"
            )
        ]
        indexes = [models.Index(fields=["hour", "query"], name="unmet_search_hour_idx")]

    def __str__(self) -> str:
        return f"{self.visitor_id} found nothing for {self.query_id} at {self.hour}"


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
