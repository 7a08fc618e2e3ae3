"""The database going away answers 503 with Retry-After (a styled page, JSON under /api/), never
a 500 with a traceback, and the site serves again as soon as it is back.

The end-to-end test stops a MariaDB of its own under running gunicorn servers (DEBUG off and on);
the unit tests cover what an outage cannot show on this site: which errors count as an outage,
and an outage noticed by a middleware rather than a view."""

import http.cookiejar
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import IntegrityError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse

from bookstore_site.errors import UNAVAILABLE_DETAIL, is_database_unavailable
from chaos.cluster import free_block
from tests.helpers import REPO, manage_py
from tests.private_services import PrivateServices

STYLESHEET = '<link rel="stylesheet" href="/static/books/site.css">'
# No control socket: the default one may belong to another gunicorn on this machine.
GUNICORN = [sys.executable, "-m", "gunicorn", "bookstore_site.wsgi", "--no-control-socket"]
ADMIN_PASSWORD = "outage-test-password-9"
REFUSED = OperationalError(2003, "Can't connect to MySQL server on '127.0.0.1' (111)")
LOCK_WAIT = OperationalError(1205, "Lock wait timeout exceeded; try restarting transaction")


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: str


class Site:
    """A gunicorn serving the site from the private database, and a browser with cookies."""

    def __init__(self, *, database_url: str, debug: bool, log: Path) -> None:
        self.debug = debug
        self.log = log
        address = f"127.0.0.1:{free_block(1)}"
        self.base_url = f"http://{address}"
        env = {**os.environ, "DATABASE_URL": database_url, "DEBUG": str(debug).lower()}
        with log.open("w") as stderr:
            self.process = subprocess.Popen(
                [*GUNICORN, "--bind", address, "--workers", "1"],
                cwd=REPO,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        self.browser = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str, data: dict[str, str] | None = None) -> Response:
        """GET `path`, or POST `data` to it; redirects are followed."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.browser.open(self.base_url + path, data=body, timeout=10) as answer:
                return Response(answer.status, dict(answer.headers), answer.read().decode())
        except urllib.error.HTTPError as error:
            return Response(error.code, dict(error.headers), error.read().decode())

    def wait_until_serving(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"gunicorn exited:\n{self.log.read_text()}"
            try:
                self.get("/api/openapi.json")
                return
            except OSError:
                time.sleep(0.2)
        pytest.fail(f"gunicorn did not answer in {timeout} s:\n{self.log.read_text()}")

    def log_in_to_admin(self) -> None:
        form = self.get("/admin/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.body)
        assert token, form.body
        credentials = {"username": "admin", "password": ADMIN_PASSWORD}
        answer = self.get(
            "/admin/login/?next=/admin/", {"csrfmiddlewaretoken": token[1], **credentials}
        )
        assert "Log out" in answer.body, answer.body

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture
def private_mariadb() -> Iterator[PrivateServices]:
    """A MariaDB of the test's own, so that stopping it never touches the shared one."""
    with tempfile.TemporaryDirectory(prefix="event-books-db-") as directory:
        database = PrivateServices(Path(directory))
        try:
            database.run("start", "mariadb")
            yield database
        finally:
            database.run("stop", "mariadb")


@pytest.fixture
def sites(private_mariadb: PrivateServices) -> Iterator[list[Site]]:
    """The site migrated onto the private database, served with DEBUG off and on, and logged in
    to the admin in each: a user with a session is one whose requests need the database."""
    env = {**os.environ, "DATABASE_URL": private_mariadb.database_url}
    for command in (
        ["migrate", "--noinput"],
        ["createsuperuser", "--noinput", "--username", "admin", "--email", "admin@example.com"],
    ):
        result = manage_py(*command, env={**env, "DJANGO_SUPERUSER_PASSWORD": ADMIN_PASSWORD})
        assert result.returncode == 0, result.stderr
    started = [
        Site(
            database_url=private_mariadb.database_url,
            debug=debug,
            log=private_mariadb.directory / log,
        )
        for debug, log in ((False, "gunicorn.log"), (True, "gunicorn-debug.log"))
    ]
    try:
        for site in started:
            site.wait_until_serving()
            site.log_in_to_admin()
        yield started
    finally:
        for site in started:
            site.stop()


def assert_unavailable_page(response: Response) -> None:
    assert response.status == 503, response.body
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.headers["Retry-After"] == "5"
    assert STYLESHEET in response.body
    assert "Back in a moment" in response.body
    assert "Traceback" not in response.body


def test_database_outage_answers_503_and_the_site_recovers_without_restart(
    private_mariadb: PrivateServices, sites: list[Site]
) -> None:
    pages = ["/", "/?q=kafka", "/api/books?q=kafka", "/admin/"]
    for site in sites:
        assert [site.get(page).status for page in pages] == [200] * 4

    for site in sites:
        assert (site.get("/healthz").status, site.get("/readyz").status) == (200, 200)

    private_mariadb.run("stop", "mariadb")
    for site in sites:
        # Alive (no restart wanted), not ready (no traffic wanted) until the database is back.
        assert (site.get("/healthz").status, site.get("/readyz").status) == (200, 503)
        for page in ("/", "/?q=kafka", "/admin/"):
            assert_unavailable_page(site.get(page))
        api = site.get("/api/books?q=kafka")
        assert api.status == 503, api.body
        assert api.headers["Content-Type"] == "application/json"
        assert api.headers["Retry-After"] == "5"
        assert json.loads(api.body) == {"detail": UNAVAILABLE_DETAIL}

    private_mariadb.run("start", "mariadb")
    for site in sites:
        assert [site.get(page).status for page in pages] == [200] * 4, f"DEBUG={site.debug}"
        assert site.get("/readyz").status == 200
        assert site.process.poll() is None

    for site in sites:
        log = site.log.read_text()
        # One WARNING line per request answered 503 (and per probe that found it not ready),
        # nothing at ERROR, no traceback.
        assert len(re.findall(r" WARNING django.request: Database unavailable", log)) == 4, log
        assert len(re.findall(r" WARNING django.request: Not ready", log)) == 1, log
        assert "ERROR" not in log, log
        assert "Traceback" not in log, log


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (REFUSED, True),
        (OperationalError(2006, "MySQL server has gone away"), True),
        (OperationalError(2013, "Lost connection to MySQL server during query"), True),
        (OperationalError(1040, "Too many connections"), True),
        (InterfaceError(0, ""), True),
        (LOCK_WAIT, False),
        (OperationalError(1213, "Deadlock found when trying to get lock"), False),
        (OperationalError(1045, "Access denied for user 'bookstore'@'localhost'"), False),
        (OperationalError("unable to open database file"), False),
        (IntegrityError(1062, "Duplicate entry '1' for key 'PRIMARY'"), False),
        (ValueError("2003"), False),
    ],
)
def test_only_errors_of_reaching_the_database_count_as_an_outage(
    error: Exception, unavailable: bool
) -> None:
    assert is_database_unavailable(error) is unavailable


class FailingMiddleware:
    """Fails the way SessionMiddleware does when it cannot save a session: outside any view,
    where only handler500 sees the error."""

    error: Exception = REFUSED

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        raise self.error


@pytest.fixture
def failing_middleware(settings, client, monkeypatch) -> Callable[[Exception], None]:
    """Installs FailingMiddleware raising the given error. No `db` fixture: the error pages must
    render with database access blocked (it would raise, and the page would not be answered)."""
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.FailingMiddleware"]
    client.raise_request_exception = False

    def fail_with(error: Exception) -> None:
        monkeypatch.setattr(FailingMiddleware, "error", error)

    return fail_with


def test_an_outage_in_a_middleware_answers_503_with_one_warning(
    client, failing_middleware, caplog
) -> None:
    failing_middleware(REFUSED)

    page = client.get("/", {"q": "kafka"})
    api = client.get("/api/books")

    assert page.status_code == 503
    assert page["Retry-After"] == "5"
    assert STYLESHEET in page.content.decode()
    assert api.status_code == 503
    assert api["Retry-After"] == "5"
    assert api.json() == {"detail": UNAVAILABLE_DETAIL}
    assert [(r.levelname, r.exc_info) for r in caplog.records] == [("WARNING", None)] * 2
    assert "Database unavailable, answered 503: /api/books" in caplog.records[1].getMessage()


def test_other_errors_answer_a_styled_500_logged_with_the_traceback(
    client, failing_middleware, caplog
) -> None:
    failing_middleware(LOCK_WAIT)

    page = client.get("/")
    api = client.get("/api/books")

    assert page.status_code == 500
    assert "Retry-After" not in page
    assert STYLESHEET in page.content.decode()
    assert "Something went wrong" in page.content.decode()
    assert api.status_code == 500
    assert api.json() == {"detail": "Something went wrong on our side; the error has been logged."}
    assert [r.levelname for r in caplog.records] == ["ERROR", "ERROR"]
    assert all(r.exc_info for r in caplog.records)
