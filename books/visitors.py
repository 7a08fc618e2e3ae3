"""The anonymous visitor id: a random `uid` cookie that ties a browser's searches together."""

import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

VISITOR_COOKIE = "uid"
VISITOR_COOKIE_MAX_AGE = 30 * 24 * 60 * 60
_VALID_ID = re.compile(r"[0-9a-f]{32}")


def issue_visitor_cookie(*, response: HttpResponse) -> str:
    """Give the browser a new random visitor id with `response`; returns the id."""
    visitor_id = uuid.uuid4().hex
    response.set_cookie(
        VISITOR_COOKIE,
        visitor_id,
        max_age=VISITOR_COOKIE_MAX_AGE,
        httponly=True,
        secure=settings.SESSION_COOKIE_SECURE,
        samesite="Lax",
    )
    return visitor_id


class VisitorIdMiddleware:
    """Sets ``request.visitor_id`` from the `uid` cookie, issuing one on the first visit.

    A request that brings no valid cookie gets ``request.visitor_id = None`` (and
    ``request.visitor_is_new``), though a fresh cookie goes out with its response: its events
    then carry no visitor, so that a client which never sends the cookie back (a script, a
    flood of requests) counts for nobody in trends and recommendations."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        cookie = request.COOKIES.get(VISITOR_COOKIE, "")
        # A forged or mangled cookie is replaced rather than trusted into event headers.
        is_new = not _VALID_ID.fullmatch(cookie)
        request.visitor_id = None if is_new else cookie
        request.visitor_is_new = is_new
        response = self.get_response(request)
        # A view that issued the visitor a new id itself ("Forget me") keeps it.
        if is_new and VISITOR_COOKIE not in response.cookies:
            issue_visitor_cookie(response=response)
        return response
