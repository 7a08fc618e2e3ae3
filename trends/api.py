from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from books.api import ErrorOut
from trends.selectors import DEFAULT_TRENDS, MAX_TRENDS, top_trends

router = Router(tags=["trends"])


class TrendOut(Schema):
    query: str
    count: int
    books: list[dict]


class TrendParams(Schema):
    ps: int = Field(DEFAULT_TRENDS, ge=1, le=MAX_TRENDS, description="How many trends")


@router.get("/trends", response={200: list[TrendOut], 400: ErrorOut})
def list_trends(request: HttpRequest, params: Query[TrendParams]):
    """The most searched queries, each with the books its latest search found."""
    return top_trends(limit=params.ps)
