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
    """The visitor's top 10 recommendations: the books most often opened by visitors who found
    or opened the visitor's latest books, leaving out those the visitor opened; each with its
    `score` (visitors, summed over the seeds) and `reason`, the seed that contributed most:
    `{"searched": query}` or `{"opened": title}`. Empty for a visitor with no history."""
    return recommended_books(visitor_id=params.uid)
