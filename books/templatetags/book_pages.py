"""Filters and tags of the catalogue's pages: matched words marked, dates as precise as known,
and links that keep the search a visitor came from."""

from django import template
from django.utils.dateformat import format as format_date
from django.utils.safestring import SafeString

from books import highlight as highlighting
from books.models import Book
from books.pagination import results_query, results_url

register = template.Library()

DATE_FORMATS = {
    Book.Precision.DAY: "j F Y",
    Book.Precision.MONTH: "F Y",
    Book.Precision.YEAR: "Y",
}


@register.simple_tag
def highlight(text: str, query: str, length: int | None = None) -> SafeString:
    """`text` with the search's words in <mark>, cut to about `length` characters if given."""
    return highlighting.highlight(text, query, length=length)


@register.filter
def published(book: Book) -> str:
    """When `book` was first published, as precisely as it is known: "1951", "July 1951" or
    "16 July 1951"."""
    return format_date(book.published_at, DATE_FORMATS[book.published_precision])


@register.simple_tag
def search_query(query: str, page: int = 1) -> str:
    """The query string of a search's page, e.g. "q=kafka&page=2" (no page for the first)."""
    return results_query(query=query, page=page)


@register.simple_tag
def search_url(query: str, page: int = 1) -> str:
    """The address of a search's page, e.g. "/?q=kafka&page=2"."""
    return results_url(query=query, page=page)
