"""What the search page and the search API share about answering a request: the per-client
rate limit on searches, and HEAD, which answers like GET without searching."""

from django.conf import settings
from django.http import HttpRequest, StreamingHttpResponse
from django_ratelimit.core import get_usage

# One group: the page and the API draw on one allowance per client.
SEARCH_RATE_GROUP = "books.search"


def _no_address(group: str, request: HttpRequest) -> str:
    return "no-address"


def search_retry_after(*, request: HttpRequest) -> int | None:
    """Count one search by the request's client, by IP address (REMOTE_ADDR; an IPv6 client by
    its /64), against SEARCH_RATE_LIMIT. Returns None while the client is within it, else the
    seconds until its window resets.

    The counts live in Django's default cache, which is per process (LocMemCache): under
    gunicorn each worker counts on its own, so a client gets up to the limit per worker."""
    usage = get_usage(
        request,
        group=SEARCH_RATE_GROUP,
        # Without an address (a proxy on a Unix socket) django-ratelimit's "ip" key raises:
        # those requests share one allowance rather than fail.
        key="ip" if request.META.get("REMOTE_ADDR") else _no_address,
        rate=settings.SEARCH_RATE_LIMIT,
        increment=True,
    )
    if usage is None or not usage["should_limit"]:
        return None
    # time_left is 0 in the window's last second (-1 if the cache failed): never "retry now".
    return max(usage["time_left"], 1)


def too_many_searches(retry_after: int) -> str:
    return (
        f"Too many searches from your address (at most {settings.SEARCH_RATE_LIMIT}); "
        f"please try again in {retry_after} seconds."
    )


def head_response(*, content_type: str) -> StreamingHttpResponse:
    """The answer to a HEAD that passed GET's validation: GET's status and content type, no
    body, and no search run (so no event). Streaming, so that no Content-Length is added: it
    would have to be the length GET's body would have had (RFC 9110, 8.6), known only by
    running the search."""
    return StreamingHttpResponse((), content_type=content_type)
