"""What the site answers when a request fails: 503 with Retry-After while the database is
unavailable, a styled 500 otherwise; an HTML page for the site and the admin, JSON under /api/.

Django turns an exception into a response in two places, so there are two hooks:

- `DatabaseUnavailableMiddleware.process_exception` sees what views raise (pages, API, admin,
  and templates rendered by them), with DEBUG on or off;
- `server_error` (`handler500`) sees the rest. An exception in a middleware (a session saved, a
  user loaded) becomes a response in the `convert_exception_to_response` wrapped around that
  middleware, before any outer middleware could see it; Django calls `handler500` there, with
  the exception still in `sys.exc_info()`. With DEBUG on, Django shows its debug page instead.

The error pages render without a request, so no context processor can reach the database, and
`base.html` has no queries of its own (tests/test_database_unavailable.py renders them with
database access blocked).
"""

import sys
from collections.abc import Callable
from typing import NoReturn

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.log import log_response

RETRY_AFTER_SECONDS = 5
UNAVAILABLE_DETAIL = "The database is unavailable; try again shortly."
SERVER_ERROR_DETAIL = "Something went wrong on our side; the error has been logged."
# Where bookstore_site/urls.py mounts the API: its clients read JSON, not HTML.
API_PREFIX = "/api/"

# MySQL/MariaDB error codes (the first argument of the driver's error) that say the server
# cannot be reached or dropped the connection: that passes when the server is back, so a 503
# with Retry-After. Any other OperationalError is about one statement or the configuration
# (lock wait timeout 1205, deadlock 1213, statement timeout, access denied 1045, unknown
# database 1049): retrying in a few seconds would not help, so it stays a 500 logged with its
# traceback.
UNAVAILABLE_MYSQL_ERRORS = frozenset(
    {
        1040,  # ER_CON_COUNT_ERROR: too many connections
        1053,  # ER_SERVER_SHUTDOWN: the server is shutting down
        1927,  # ER_CONNECTION_KILLED (MariaDB)
        2002,  # CR_CONNECTION_ERROR: cannot connect through the socket
        2003,  # CR_CONN_HOST_ERROR: cannot connect to the host (refused, timed out)
        2005,  # CR_UNKNOWN_HOST: e.g. a database container's name while it is replaced
        2006,  # CR_SERVER_GONE_ERROR: MySQL server has gone away
        2013,  # CR_SERVER_LOST: lost connection to MySQL server during query
        2055,  # CR_SERVER_LOST_EXTENDED
        4031,  # ER_CLIENT_INTERACTION_TIMEOUT (MySQL 8): the server closed the connection
    }
)


def is_database_unavailable(exc: BaseException) -> bool:
    """Whether `exc` means the database cannot be reached now, rather than a failed query."""
    # The MySQL driver raises InterfaceError only for a connection that is closed or broken.
    if isinstance(exc, InterfaceError):
        return True
    return (
        isinstance(exc, OperationalError)
        and bool(exc.args)
        and exc.args[0] in UNAVAILABLE_MYSQL_ERRORS
    )


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def database_unavailable(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """The 503 for `request`, logged as one WARNING line: an outage is not a bug to trace."""
    if _is_api(request):
        response: HttpResponse = JsonResponse({"detail": UNAVAILABLE_DETAIL}, status=503)
    else:
        page = render_to_string("503.html", {"retry_after": RETRY_AFTER_SECONDS})
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    # log_response marks the response as logged, so Django does not log it again at ERROR
    # (with the traceback) on its way out.
    log_response(
        "Database unavailable, answered 503: %s (%r)",
        request.path,
        exc,
        response=response,
        request=request,
        level="warning",
    )
    return response


class DatabaseUnavailableMiddleware:
    """Answers 503 for a view that failed because the database is unavailable."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_database_unavailable(exception):
            return database_unavailable(request, exception)
        return None


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: Django calls it from inside its `except` block, so `sys.exc_info()` holds the
    error; Django itself logs the 500s at ERROR with their traceback."""
    exc = sys.exc_info()[1]
    if exc is not None and is_database_unavailable(exc):
        return database_unavailable(request, exc)
    if _is_api(request):
        return JsonResponse({"detail": SERVER_ERROR_DETAIL}, status=500)
    return HttpResponse(render_to_string("500.html"), status=500)


def raise_to_django(request: HttpRequest, exc: Exception) -> NoReturn:
    """A django-ninja exception handler that hands the error on to Django's handling: with
    DEBUG on, ninja would otherwise answer a 500 with the traceback as text itself."""
    raise exc
