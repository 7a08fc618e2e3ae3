from django.db import models


class TrendingQuery(models.Model):
    """How often a query was searched, and the books its latest search found."""

    query = models.TextField(help_text="Normalized: see trends.services.normalize_query.")
    # Unique on a digest rather than on `query`: MySQL's collations fold "café" and "cafe"
    # together where Python does not, and case-folding can make a query longer than a column.
    query_digest = models.CharField(max_length=64, unique=True, editable=False)
    count = models.PositiveBigIntegerField(default=0)
    books = models.JSONField(
        default=list, help_text="The latest search's results, as in the event."
    )
    last_searched_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "trending queries"
        indexes = [models.Index(fields=["-count", "-last_searched_at"], name="trend_top_idx")]

    def __str__(self) -> str:
        return f"{self.query} ({self.count})"
