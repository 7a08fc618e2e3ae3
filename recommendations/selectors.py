from recommendations.models import Interest

RECOMMENDATIONS = 10


def recommended_books(*, visitor_id: str, limit: int = RECOMMENDATIONS) -> list[dict]:
    """The visitor's most interesting books, each as the event carried it plus its score."""
    interests = Interest.objects.filter(visitor_id=visitor_id).order_by("-score", "-updated_at")
    return [{**interest.book, "score": interest.score} for interest in interests[:limit]]
