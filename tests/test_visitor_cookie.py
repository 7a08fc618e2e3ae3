from django.http import HttpResponse

from books.visitors import VISITOR_COOKIE_MAX_AGE, VisitorIdMiddleware, issue_visitor_cookie


def test_first_visit_gets_a_random_uid_cookie(client, db) -> None:
    response = client.get("/")

    cookie = response.cookies["uid"]
    assert len(cookie.value) == 32
    assert cookie["max-age"] == VISITOR_COOKIE_MAX_AGE == 30 * 24 * 3600
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_returning_visitor_keeps_the_uid(client, db) -> None:
    first = client.get("/").cookies["uid"].value

    second = client.get("/")

    assert "uid" not in second.cookies
    assert client.cookies["uid"].value == first


def test_two_browsers_get_different_uids(client, db, rf) -> None:
    from django.test import Client

    assert client.get("/").cookies["uid"].value != Client().get("/").cookies["uid"].value


def test_forged_uid_is_replaced(client, db) -> None:
    client.cookies["uid"] = "<script>"

    response = client.get("/")

    assert response.cookies["uid"].value != "<script>"
    assert len(response.cookies["uid"].value) == 32


def test_uid_cookie_is_secure_when_the_session_cookie_is(client, db, settings) -> None:
    settings.SESSION_COOKIE_SECURE = True

    assert client.get("/").cookies["uid"]["secure"] is True


def test_uid_cookie_is_not_secure_by_default_for_plain_http_development(client, db) -> None:
    assert not client.get("/").cookies["uid"]["secure"]


def through_middleware(request) -> tuple[str | None, HttpResponse]:
    """The visitor id the middleware gave `request`, and the response it sent."""
    seen = []

    def view(request) -> HttpResponse:
        seen.append(request.visitor_id)
        return HttpResponse()

    response = VisitorIdMiddleware(view)(request)
    return seen[0], response


def test_a_request_without_the_cookie_has_no_visitor_yet(rf) -> None:
    visitor_id, response = through_middleware(rf.get("/"))

    assert visitor_id is None
    assert len(response.cookies["uid"].value) == 32


def test_a_request_with_the_cookie_carries_its_visitor(rf) -> None:
    request = rf.get("/")
    request.COOKIES["uid"] = "5e" * 16

    visitor_id, response = through_middleware(request)

    assert visitor_id == "5e" * 16
    assert "uid" not in response.cookies


def test_the_middleware_keeps_a_new_id_the_view_issued(rf) -> None:
    def forget_me(request) -> HttpResponse:
        response = HttpResponse()
        issued.append(issue_visitor_cookie(response=response))
        return response

    issued: list[str] = []

    response = VisitorIdMiddleware(forget_me)(rf.post("/privacy/forget/"))

    assert response.cookies["uid"].value == issued[0]
