"""The project's one NinjaAPI: routers of the apps, and one shape for every error."""

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from books.api import router as books_router
from recommendations.api import router as recommendations_router
from trends.api import router as trends_router

api = NinjaAPI(
    title="event-books API",
    version="1.0",
    description="Search the bookstore's catalogue; every search becomes an event on Kafka.",
    urls_namespace="api",
)
api.add_router("/", books_router)
api.add_router("/", trends_router)
api.add_router("/", recommendations_router)


def _field_name(location: tuple) -> str:
    # Pydantic locations look like ("query", "offset") or ("body", "payload", "title").
    names = [str(part) for part in location if part not in ("query", "body", "path", "payload")]
    return ".".join(names) or "request"


@api.exception_handler(ValidationError)
def bad_request(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        errors.setdefault(_field_name(tuple(error.get("loc", ()))), []).append(error["msg"])
    detail = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items())
    return api.create_response(request, {"detail": detail, "errors": errors}, status=400)


@api.exception_handler(AuthenticationError)
def unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request,
        {"detail": "Log in as staff or send 'Authorization: Bearer <token>'."},
        status=401,
    )


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, {"detail": exc.message}, status=exc.status_code)
