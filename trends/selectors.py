from trends.models import TrendingQuery

DEFAULT_TRENDS = 10
MAX_TRENDS = 100


def top_trends(*, limit: int = DEFAULT_TRENDS) -> list[TrendingQuery]:
    return list(TrendingQuery.objects.order_by("-count", "-last_searched_at")[:limit])
