from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from books.api import ErrorOut
from trends.selectors import DEFAULT_TRENDS, MAX_TRENDS, top_trends
from trends.windows import DEFAULT_WINDOW, Window

router = Router(tags=["trends"])


class TrendOut(Schema):
    query: str
    count: int
    books: list[dict]


class TrendParams(Schema):
    ps: int = Field(DEFAULT_TRENDS, ge=1, le=MAX_TRENDS, description="How many trends")
    window: Window = Field(
        DEFAULT_WINDOW,
        description="Over which time to count: the last hour, day or week (in whole UTC "
        "hours), or all time",
    )


@router.get("/trends", response={200: list[TrendOut], 400: ErrorOut})
def list_trends(request: HttpRequest, params: Query[TrendParams]):
    """The queries the most visitors searched in the window, each visitor once per query per
    hour, each with the books its latest search found."""
    return top_trends(window=params.window, limit=params.ps)
