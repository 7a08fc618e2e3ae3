from django.db import models


class TrendingQuery(models.Model):
    """How often a query was searched, and the books its latest search found."""

    query = models.CharField(
        max_length=200, unique=True, help_text="Normalized: see normalize_query."
    )
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
