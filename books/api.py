"""The JSON API under /api/: the seed's book endpoints."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import HttpBearer, django_auth

from books.models import Book
from books.serializers import BookJSON, book_as_json
from books.services import create_book, delete_book, perform_search, update_book
from books.tokens import user_for_api_token

router = Router(tags=["books"])

# The largest offset MySQL's LIMIT accepts without overflow surprises.
MAX_OFFSET = 2**31 - 1


class BookOut(Schema):
    id: int
    title: str
    author: str
    published_at: datetime.date
    description: str
    created_at: str = Field(examples=["2024-04-03T05:48:16Z"], description="RFC 3339, UTC")


class BookIn(Schema):
    title: str = Field(min_length=1, max_length=255)
    author: str = Field(min_length=1, max_length=255)
    published_at: datetime.date
    description: str = ""
    isbn: str | None = Field(None, description="ISBN-13; hyphens allowed.")


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] = {}


class BookSearchParams(Schema):
    q: str = Field("", max_length=settings.SEARCH_QUERY_MAX_LENGTH, description="Keywords")
    offset: int | None = Field(None, ge=0, le=MAX_OFFSET, description="Books to skip")
    o: int | None = Field(None, ge=0, le=MAX_OFFSET, description="The seed's name for offset")


class ApiTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        user = user_for_api_token(token)
        if user is not None:
            request.user = user
        return user


# Writes take a bearer token (scripts, importers) or a staff session (the browsable docs).
WRITE_AUTH = [ApiTokenAuth(), django_auth]


def require_perm(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise HttpError(403, f"Your account lacks the permission {perm!r}.")


@router.get("/books", response={200: list[BookOut], 400: ErrorOut})
def list_books(request: HttpRequest, response: HttpResponse, params: Query[BookSearchParams]):
    """Search books by keywords (the whole page when q is empty); paginated by PAGE_SIZE."""
    offset = params.offset if params.offset is not None else (params.o or 0)
    result = perform_search(
        query=params.q, offset=offset, limit=settings.PAGE_SIZE, visitor_id=request.visitor_id
    )
    response["X-Total-Count"] = str(result.total)
    # Counting stops at selectors.COUNT_LIMIT; then X-Total-Count is "at least".
    response["X-Total-Is-Lower-Bound"] = "true" if result.total_is_lower_bound else "false"
    return [book_as_json(book) for book in result.books]


def book_or_404(book_id: int) -> Book:
    book = Book.objects.filter(pk=book_id).first()
    if book is None:
        raise HttpError(404, f"There is no book with id {book_id}.")
    return book


@router.get("/books/{book_id}", response={200: BookOut, 404: ErrorOut})
def get_book(request: HttpRequest, book_id: int) -> BookJSON:
    return book_as_json(book_or_404(book_id))


@router.post(
    "/books",
    response={201: BookOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    auth=WRITE_AUTH,
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
    response={204: None, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    auth=WRITE_AUTH,
)
def remove_book(request: HttpRequest, book_id: int):
    """Delete a book. Needs the 'delete book' permission."""
    require_perm(request, "books.delete_book")
    delete_book(book=book_or_404(book_id))
    return Status(204, None)
