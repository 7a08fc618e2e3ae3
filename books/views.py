from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from books.forms import SearchForm
from books.models import Book
from books.services import perform_search, record_view


def search(request: HttpRequest) -> HttpResponse:
    """The home page: a search box, and the newest books or the search's results."""
    form = SearchForm(request.GET)
    if not form.is_valid():
        return render(request, "books/search.html", {"form": form}, status=400)
    page_number = form.cleaned_data["page"] or 1
    result = perform_search(
        query=form.cleaned_data["q"],
        offset=(page_number - 1) * settings.PAGE_SIZE,
        limit=settings.PAGE_SIZE,
        visitor_id=request.visitor_id,
    )
    return render(
        request,
        "books/search.html",
        {"form": form, "result": result, "page_number": page_number},
    )


def book_detail(request: HttpRequest, pk: int) -> HttpResponse:
    book = get_object_or_404(Book, pk=pk)
    if request.method == "GET":  # a HEAD request (a link checker, a bot) opens nothing
        record_view(book=book, visitor_id=request.visitor_id)
    return render(request, "books/book_detail.html", {"book": book})
