from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from books.forms import SearchForm
from books.http import head_response, search_retry_after, too_many_searches
from books.models import Book
from books.services import perform_search, record_view


# GET and HEAD only: any other method is answered 405 with Allow before anything runs
# (OPTIONS and TRACE included; CSRF refuses the unsafe ones even earlier).
@require_safe
def search(request: HttpRequest) -> HttpResponse:
    """The home page: a search box, and the newest books or the search's results."""
    form = SearchForm(request.GET)
    if not form.is_valid():
        return render(request, "books/search.html", {"form": form}, status=400)
    if request.method == "HEAD":
        return head_response(content_type="text/html; charset=utf-8")
    query = form.cleaned_data["q"]
    # Browsing the newest books is cheap and announces nothing: only searches count.
    if query and (retry_after := search_retry_after(request=request)) is not None:
        form.add_error(None, too_many_searches(retry_after))
        response = render(request, "books/search.html", {"form": form}, status=429)
        response["Retry-After"] = str(retry_after)
        return response
    page_number = form.cleaned_data["page"] or 1
    result = perform_search(
        query=query,
        offset=(page_number - 1) * settings.PAGE_SIZE,
        limit=settings.PAGE_SIZE,
        visitor_id=request.visitor_id,
    )
    return render(
        request,
        "books/search.html",
        {"form": form, "result": result, "page_number": page_number},
    )


@require_safe
def book_detail(request: HttpRequest, pk: int) -> HttpResponse:
    book = get_object_or_404(Book, pk=pk)
    if request.method == "GET":  # a HEAD request (a link checker, a bot) opens nothing
        record_view(book=book, visitor_id=request.visitor_id)
    return render(request, "books/book_detail.html", {"book": book})
