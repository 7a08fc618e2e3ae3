from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from books.fields import IsbnField
from books.models import ApiToken, Book
from books.selectors import best_matches
from bookstore_site.paginators import CappedCountPaginator


@admin.register(Book)
class BookAdmin(admin.ModelAdmin):
    """Usable at a million books: no date hierarchy (a DISTINCT over every row and a link per
    year), no full COUNT(*) (CappedCountPaginator), and a search through the site's index."""

    list_display = ["title", "author", "published_at", "isbn", "created_at"]
    list_display_links = ["title"]
    search_fields = ["title", "author", "isbn", "description"]
    search_help_text = (
        "Every word, in any order, as on the site (its best 200 matches), or an exact ISBN."
    )
    list_filter = ["published_at", "created_at"]
    ordering = ["-created_at", "-id"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "title",
                    "author",
                    "published_at",
                    "published_precision",
                    "isbn",
                    "description",
                ]
            },
        ),
        ("Record", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]
    list_per_page = 50
    paginator = CappedCountPaginator
    show_full_result_count = False

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Book], search_term: str
    ) -> tuple[QuerySet[Book], bool]:
        # The site's search finds the words through the full-text index; Django's default, a
        # LIKE '%word%' per column and word, reads the whole table each time.
        ranked = best_matches(search_term.strip())
        if ranked is None:  # no word the index holds ("AI", "the"): the default LIKE search
            return super().get_search_results(request, queryset, search_term)
        isbn = IsbnField().to_python(search_term)
        return queryset.filter(pk__in=ranked) | queryset.filter(isbn=isbn), False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued with `manage.py create_api_token`; here they are listed and revoked."""

    list_display = ["name", "user", "created_at", "last_used_at"]
    list_select_related = ["user"]
    search_fields = ["name", "user__username"]
    readonly_fields = ["user", "name", "created_at", "last_used_at"]

    def has_add_permission(self, request) -> bool:
        return False
