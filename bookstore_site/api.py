"""The project's one NinjaAPI: routers of the apps, and one shape for every error."""

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from books.api import router as books_router
from recommendations.api import router as recommendations_router
from trends.api import router as trends_router

# Every operation can meet a URL longer than gunicorn's limit_request_line (4094 bytes): gunicorn
# answers 414 with an HTML page before the API sees the request. Declared rather than pre-empted
# by a shorter limit of ours, which could cover only the parameters we know of. The longest
# query we accept (200 characters, percent-encoded) stays well under it.
URI_TOO_LONG = {
    "description": "URI Too Long: the request line is over the server's limit (4094 bytes)",
    "content": {"text/html": {"schema": {"type": "string"}}},
}


class BookstoreAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs):
        schema = super().get_openapi_schema(**kwargs)
        for operations in schema["paths"].values():
            for operation in operations.values():
                operation["responses"].setdefault(414, URI_TOO_LONG)
        return schema


api = BookstoreAPI(
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
    response = api.create_response(
        request,
        {"detail": "Log in as staff or send 'Authorization: Bearer <token>'."},
        status=401,
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, {"detail": exc.message}, status=exc.status_code)
