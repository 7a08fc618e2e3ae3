from collections.abc import Iterable

from django.db import models, transaction

from books.fields import IsbnField
from books.search import search_grams

# The fields `search_grams` is made of.
SEARCHED_FIELDS = frozenset({"title", "author", "description"})


class BookQuerySet(models.QuerySet):
    def bulk_create(self, objs: Iterable["Book"], *args, **kwargs) -> list["Book"]:
        # bulk_create() bypasses save(), the other place search_grams is kept in step.
        objs = list(objs)
        for book in objs:
            book.fill_search_grams()
        return super().bulk_create(objs, *args, **kwargs)


class Book(models.Model):
    class Precision(models.TextChoices):
        """How much of `published_at` is known: many books have only a year (stored as its
        1 January), some a month."""

        DAY = "day", "Day"
        MONTH = "month", "Month"
        YEAR = "year", "Year"

    title = models.CharField(max_length=255)
    author = models.CharField(max_length=255)
    published_at = models.DateField(help_text="Date of first publication.")
    published_precision = models.CharField(
        max_length=5,
        choices=Precision,
        default=Precision.DAY,
        help_text="How much of the date is known; a year-only date is stored as its 1 January.",
    )
    description = models.TextField(blank=True)
    isbn = IsbnField(
        "ISBN-13",
        unique=True,
        null=True,
        blank=True,
        help_text="Optional; unique when given. Hyphens and spaces are dropped.",
    )
    # Derived from title, author and description, for searching text without spaces (see
    # books/search.py); never edited. update() and raw SQL writes must refill it (and call
    # books.cache.bump_catalogue_version(), which the signals of every other write call).
    search_grams = models.TextField(blank=True, default="", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = BookQuerySet.as_manager()

    class Meta:
        # Newest first: the home page, the admin and an empty search all list books this way.
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="book_newest_idx"),
            models.Index(fields=["title"], name="book_title_idx"),
            models.Index(fields=["author"], name="book_author_idx"),
            models.Index(fields=["published_at"], name="book_published_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.title} by {self.author}"

    def save(self, *args, **kwargs) -> None:
        self.fill_search_grams()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and SEARCHED_FIELDS.intersection(update_fields):
            kwargs["update_fields"] = {*update_fields, "search_grams"}
        # The row and the event that announces it (books/receivers.py, on post_save) commit
        # together, or neither does, also where the caller opened no transaction.
        with transaction.atomic(using=kwargs.get("using")):
            super().save(*args, **kwargs)

    def clean(self) -> None:
        # full_clean() skips cleaning blank fields, so "" would reach the unique check as "".
        self.isbn = self.isbn or None

    def fill_search_grams(self) -> None:
        self.search_grams = search_grams(self.title, self.author, self.description)


class CatalogueVersion(models.Model):
    """One row whose token every write of books replaces, in the writing transaction, so that
    a search cached under the token it read can never outlive the catalogue it was found in
    (books/cache.py)."""

    # Random rather than counted: a rolled-back write's token is never taken again by another
    # write, so pages a transaction cached from its own uncommitted books cannot be served later.
    token = models.BigIntegerField()

    def __str__(self) -> str:
        return f"catalogue version {self.token}"


class ApiToken(models.Model):
    """A bearer token for API clients that add books. Only its SHA-256 digest is stored."""

    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. 'importer'.")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"
