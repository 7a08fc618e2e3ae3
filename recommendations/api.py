from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from books.api import ErrorOut
from books.validators import PlainText
from recommendations.selectors import recommended_books

router = Router(tags=["recommendations"])


class RecommendationParams(Schema):
    uid: PlainText = Field(min_length=1, max_length=64, description="The visitor's uid cookie")


@router.get("/recommendations", response={200: list[dict], 400: ErrorOut})
def list_recommendations(request: HttpRequest, params: Query[RecommendationParams]):
    """The visitor's top 10 books by interest: books their own searches found most often."""
    return recommended_books(visitor_id=params.uid)
