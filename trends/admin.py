from django.contrib import admin, messages
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest

from events.admin import ReadOnlyAdmin
from trends.models import HiddenQuery, TrendingQuery, UnmetQuery
from trends.selectors import UNMET_DAYS, unmet_queries
from trends.services import hide_queries, show_queries
from trends.templatetags.trends import BOX_CACHE_SECONDS


class HiddenFilter(admin.SimpleListFilter):
    title = "hidden from trends"
    parameter_name = "hidden"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[TrendingQuery]) -> QuerySet:
        if self.value() in ("yes", "no"):
            return queryset.filter(hidden=self.value() == "yes")
        return queryset


@admin.register(TrendingQuery)
class TrendingQueryAdmin(ReadOnlyAdmin):
    """The trends as the consumer counted them; staff hide a query (spam, abuse) rather than
    edit or delete its row, which the next search would only bring back."""

    list_display = ["query", "all_time", "last_searched_at", "hidden"]
    list_filter = [HiddenFilter]
    search_fields = ["query"]
    ordering = ["-count", "-last_searched_at"]
    actions = ["hide_from_trends", "show_again"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[TrendingQuery]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                hidden=Exists(HiddenQuery.objects.filter(query_digest=OuterRef("query_digest")))
            )
        )

    @admin.display(ordering="count", description="visitors (each once an hour, all time)")
    def all_time(self, trend: TrendingQuery) -> int:
        return trend.count

    @admin.display(boolean=True, ordering="hidden", description="hidden")
    def hidden(self, trend: TrendingQuery) -> bool:
        return trend.hidden

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_hide_permission(self, request: HttpRequest) -> bool:
        # Rows are never edited by hand, but taking one out of the trends is a change.
        return request.user.has_perm("trends.change_trendingquery")

    @admin.action(description="Hide the selected queries from trends", permissions=["hide"])
    def hide_from_trends(self, request: HttpRequest, queryset: QuerySet[TrendingQuery]) -> None:
        hide_queries(trends=queryset)
        self._report(request, queryset, done="Hidden from trends")

    @admin.action(description="Show the selected queries in trends again", permissions=["hide"])
    def show_again(self, request: HttpRequest, queryset: QuerySet[TrendingQuery]) -> None:
        show_queries(trends=queryset)
        self._report(request, queryset, done="Shown in trends again")

    def _report(self, request: HttpRequest, trends: QuerySet[TrendingQuery], *, done: str) -> None:
        """Who hid or showed which query goes into each one's admin history."""
        for trend in trends:
            self.log_change(request, trend, f"{done}.")
        self.message_user(
            request,
            f"{done}: {len(trends)} query(ies). The home page's Trends box follows within "
            f"{BOX_CACHE_SECONDS} s.",
            messages.SUCCESS,
        )


@admin.register(UnmetQuery)
class UnmetQueryAdmin(ReadOnlyAdmin):
    """Searches that found nothing: the shop's unmet demand, what visitors looked for in the
    last week and the catalogue does not have, the most visitors first."""

    list_display = ["query", "visitors", "last_searched_at"]
    search_fields = ["query"]
    list_display_links = None

    def get_queryset(self, request: HttpRequest) -> QuerySet[UnmetQuery]:
        return unmet_queries(days=UNMET_DAYS)

    @admin.display(ordering="visitors", description=f"visitors (last {UNMET_DAYS} days)")
    def visitors(self, query: UnmetQuery) -> int:
        return query.visitors

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
