"""The anonymous visitor id: a random `uid` cookie that ties a browser's searches together."""

import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

VISITOR_COOKIE = "uid"
VISITOR_COOKIE_MAX_AGE = 30 * 24 * 60 * 60
_VALID_ID = re.compile(r"[0-9a-f]{32}")


class VisitorIdMiddleware:
    """Sets ``request.visitor_id`` from the `uid` cookie, issuing one on the first visit
    (``request.visitor_is_new``: nothing is known about this visitor yet)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        cookie = request.COOKIES.get(VISITOR_COOKIE, "")
        # A forged or mangled cookie is replaced rather than trusted into event headers.
        is_new = not _VALID_ID.fullmatch(cookie)
        request.visitor_id = uuid.uuid4().hex if is_new else cookie
        request.visitor_is_new = is_new
        response = self.get_response(request)
        if is_new:
            response.set_cookie(
                VISITOR_COOKIE,
                request.visitor_id,
                max_age=VISITOR_COOKIE_MAX_AGE,
                httponly=True,
                samesite="Lax",
            )
        return response
