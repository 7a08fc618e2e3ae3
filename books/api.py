"""The JSON API under /api/: the seed's book endpoints."""

import datetime
import re
from typing import Annotated

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import HttpBearer, SessionAuth
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from books.http import head_response, search_retry_after, too_many_searches
from books.models import Book
from books.serializers import BookJSON, book_as_json
from books.services import create_book, delete_book, perform_search, update_book
from books.tokens import user_for_api_token
from books.validators import Isbn13Text, PlainText

router = Router(tags=["books"])

# The largest offset MySQL's LIMIT accepts without overflow surprises.
MAX_OFFSET = 2**31 - 1
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date_text(value: object) -> object:
    # pydantic's lax mode reads 0 as 1970-01-01 and "2024-01-01T00:00" as a date; strict mode
    # would refuse every string, since ninja validates the parsed JSON in Python mode.
    if not (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        raise PydanticCustomError("iso_date", "Enter a date as YYYY-MM-DD, e.g. 2014-10-01.")
    return value


IsoDate = Annotated[datetime.date, BeforeValidator(_iso_date_text)]


class BookOut(Schema):
    id: int
    title: str
    author: str
    published_at: datetime.date
    description: str
    created_at: str = Field(examples=["2024-04-03T05:48:16Z"], description="RFC 3339, UTC")


class BookIn(Schema):
    title: PlainText = Field(min_length=1, max_length=255)
    author: PlainText = Field(min_length=1, max_length=255)
    published_at: IsoDate
    description: PlainText = ""
    isbn: Isbn13Text | None = Field(None, description="ISBN-13; hyphens or spaces allowed.")


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] = {}


class BookSearchParams(Schema):
    q: PlainText = Field("", max_length=settings.SEARCH_QUERY_MAX_LENGTH, description="Keywords")
    offset: int | None = Field(None, ge=0, le=MAX_OFFSET, description="Books to skip")
    o: int | None = Field(None, ge=0, le=MAX_OFFSET, description="The seed's name for offset")


class ApiTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        user = user_for_api_token(token)
        if user is not None:
            request.user = user
        return user


class LoggedInSession(SessionAuth):
    """A logged-in session (the browsable docs), CSRF-checked: a browser sends its cookies with
    any site's form. A request with an Authorization header, or without a logged-in user, is
    not a session request: it is never CSRF-checked, so missing or wrong credentials answer
    401, never 403 "CSRF check Failed"."""

    def __call__(self, request: HttpRequest):
        if "Authorization" in request.headers or not request.user.is_authenticated:
            return None
        return super().__call__(request)


# Writes take a bearer token (scripts, importers) or a staff session; the token is tried first.
WRITE_AUTH = [ApiTokenAuth(), LoggedInSession()]
# The 401's challenge, which bookstore_site/api.py's handler sends, in the schema.
UNAUTHORIZED = {
    401: {
        "headers": {
            "WWW-Authenticate": {
                "schema": {"type": "string", "enum": ["Bearer"]},
                "description": "The scheme to authenticate with",
            }
        }
    }
}


def require_perm(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise HttpError(403, f"Your account lacks the permission {perm!r}.")


@router.get(
    "/books",
    response={200: list[BookOut], 400: ErrorOut, 429: ErrorOut},
    openapi_extra={
        "responses": {
            429: {
                "headers": {
                    "Retry-After": {
                        "schema": {"type": "integer", "minimum": 1},
                        "description": "Seconds until this client may search again",
                    }
                }
            }
        }
    },
)
def list_books(request: HttpRequest, response: HttpResponse, params: Query[BookSearchParams]):
    """Search books by keywords (the whole page when q is empty); paginated by PAGE_SIZE.
    Searches with a query count toward the client's SEARCH_RATE_LIMIT, the page's included."""
    if params.q.strip() and (retry_after := search_retry_after(request=request)) is not None:
        response["Retry-After"] = str(retry_after)
        return Status(429, {"detail": too_many_searches(retry_after)})
    offset = params.offset if params.offset is not None else (params.o or 0)
    result = perform_search(
        query=params.q, offset=offset, limit=settings.PAGE_SIZE, visitor_id=request.visitor_id
    )
    response["X-Total-Count"] = str(result.total)
    # Counting stops at selectors.COUNT_LIMIT; then X-Total-Count is "at least".
    response["X-Total-Is-Lower-Bound"] = "true" if result.total_is_lower_bound else "false"
    return [book_as_json(book) for book in result.books]


# HEAD answers like GET (the same validation, status and content type) without searching, so
# without an event; undocumented, like HEAD everywhere.
@router.api_operation(["HEAD"], "/books", include_in_schema=False)
def head_books(request: HttpRequest, params: Query[BookSearchParams]):
    return head_response(content_type="application/json; charset=utf-8")


def book_or_404(book_id: int) -> Book:
    book = Book.objects.filter(pk=book_id).first()
    if book is None:
        raise HttpError(404, f"There is no book with id {book_id}.")
    return book


@router.get("/books/{book_id}", response={200: BookOut, 400: ErrorOut, 404: ErrorOut})
def get_book(request: HttpRequest, book_id: int) -> BookJSON:
    return book_as_json(book_or_404(book_id))


@router.post(
    "/books",
    response={201: BookOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    auth=WRITE_AUTH,
    openapi_extra={"responses": UNAUTHORIZED},
)
def add_book(request: HttpRequest, payload: BookIn):
    """Add a book. Needs a bearer token or a staff session with the 'add book' permission."""
    require_perm(request, "books.add_book")
    try:
        book = create_book(**payload.dict())
    except DjangoValidationError as exc:
        return Status(400, {"detail": "The book was not saved.", "errors": exc.message_dict})
    return Status(201, book_as_json(book))


@router.put(
    "/books/{book_id}",
    response={200: BookOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    auth=WRITE_AUTH,
    openapi_extra={"responses": UNAUTHORIZED},
)
def change_book(request: HttpRequest, book_id: int, payload: BookIn):
    """Replace a book's fields. Needs the 'change book' permission."""
    require_perm(request, "books.change_book")
    try:
        book = update_book(book=book_or_404(book_id), **payload.dict())
    except Book.DoesNotExist as exc:  # deleted by another request meanwhile
        raise HttpError(404, f"There is no book with id {book_id}.") from exc
    except DjangoValidationError as exc:
        return Status(400, {"detail": "The book was not saved.", "errors": exc.message_dict})
    return book_as_json(book)


@router.delete(
    "/books/{book_id}",
    response={204: None, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    auth=WRITE_AUTH,
    openapi_extra={"responses": UNAUTHORIZED},
)
def remove_book(request: HttpRequest, book_id: int):
    """Delete a book. Needs the 'delete book' permission."""
    require_perm(request, "books.delete_book")
    delete_book(book=book_or_404(book_id))
    return Status(204, None)
