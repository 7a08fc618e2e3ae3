from books.visitors import VISITOR_COOKIE_MAX_AGE


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
