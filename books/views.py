from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from books.forms import SearchForm
from books.http import head_response, search_retry_after, too_many_searches
from books.models import Book
from books.pagination import Pager, results_url
from books.selectors import more_by_author
from books.services import perform_search, record_view
from recommendations.selectors import readers_also_opened

# What the book page lists beside the book.
RELATED_BOOKS = 5


# GET and HEAD only: any other method is answered 405 with Allow before anything runs
# (OPTIONS and TRACE included; CSRF refuses the unsafe ones even earlier).
@require_safe
def search(request: HttpRequest) -> HttpResponse:
    """The home page: a search box, and the newest books or the search's results."""
    form = SearchForm(request.GET)
    if not form.is_valid():
        # A bad page number keeps the query, so the error page can lead back to its results.
        context = {"form": form, "query": form.cleaned_data.get("q", "")}
        return render(request, "books/search.html", context, status=400)
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
    pager = Pager.of(result)
    if not result.books and page_number > 1:
        # Past the end (an old link, a typed number): the last page, or an earlier one should
        # books have gone meanwhile, so that a chain of redirects always ends.
        target = min(pager.last, page_number - 1)
        return HttpResponseRedirect(results_url(query=result.query, page=target))
    return render(
        request,
        "books/search.html",
        {"form": form, "result": result, "pager": pager, "query": result.query},
    )


@require_safe
def book_detail(request: HttpRequest, pk: int) -> HttpResponse:
    book = get_object_or_404(Book, pk=pk)
    if request.method == "GET":  # a HEAD request (a link checker, a bot) opens nothing
        record_view(book=book, visitor_id=request.visitor_id)
    # The search a visitor came from, carried on the result's link; anything else is ignored.
    came_from = SearchForm(request.GET)
    back_to = None
    if came_from.is_valid() and came_from.cleaned_data["q"]:
        back_to = {
            "query": came_from.cleaned_data["q"],
            "url": results_url(
                query=came_from.cleaned_data["q"], page=came_from.cleaned_data["page"] or 1
            ),
        }
    context = {
        "book": book,
        "back_to": back_to,
        "more_by_author": more_by_author(book=book, limit=RELATED_BOOKS),
        "readers_also_opened": readers_also_opened(book_id=book.pk, limit=RELATED_BOOKS),
    }
    return render(request, "books/book_detail.html", context)


@require_safe
@cache_control(max_age=7 * 24 * 60 * 60, public=True)
def favicon(request: HttpRequest) -> FileResponse:
    """/favicon.ico, which browsers ask for where a page names no icon (the admin, the API
    docs, a JSON answer opened in a tab)."""
    return FileResponse(
        open(finders.find("books/favicon.ico"), "rb"),
        content_type="image/x-icon",
    )
