"""The privacy notice at /privacy/ and its "Forget me" button (POST /privacy/forget/)."""

import datetime
import re
from collections.abc import Iterator

import pytest
from django.apps import apps
from django.db.models import Model
from django.test import Client

from events.envelope import Event
from events.types.book_changes import book_event
from events.types.book_viewed import BOOK_VIEWED
from events.types.search_performed import search_event
from privacy.models import ForgottenVisitor
from privacy.services import forget_visitor
from privacy.signals import visitor_forgotten
from recommendations.handlers import HANDLERS as RECOMMENDATION_HANDLERS
from tests.helpers import EMMA, T0
from trends.handlers import HANDLERS as TREND_HANDLERS

OLD_ID = "0f" * 16
OTHER_ID = "1e" * 16


@pytest.fixture
def forgotten_ids() -> Iterator[list[str]]:
    """The visitor ids `visitor_forgotten` was sent with, in order."""
    sent: list[str] = []

    def receiver(sender, visitor_id: str, **kwargs) -> None:
        sent.append(visitor_id)

    visitor_forgotten.connect(receiver)
    yield sent
    visitor_forgotten.disconnect(receiver)


@pytest.fixture
def visitor(client) -> Client:
    """A browser that has had the `uid` cookie OLD_ID."""
    client.cookies["uid"] = OLD_ID
    return client


def test_the_notice_says_what_the_uid_cookie_is_and_what_forget_me_does(client, db) -> None:
    response = client.get("/privacy/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "<code>uid</code>" in page
    assert "30 days" in page
    assert "carry only the random id and are not rewritten" in page
    assert re.search(r'<form method="post" action="/privacy/forget/">', page)
    assert 'name="csrfmiddlewaretoken"' in page


def test_the_notice_has_one_h1_then_h2s_and_no_inline_script_or_style(client, db) -> None:
    page = client.get("/privacy/").content.decode()

    levels = [int(level) for level in re.findall(r"<h([1-6])", page)]
    assert levels.count(1) == 1
    assert all(later <= earlier + 1 for earlier, later in zip([0, *levels], levels, strict=False))
    assert not re.search(r"<script|<style| style=", page)


def test_forget_without_a_csrf_token_is_refused(db, forgotten_ids) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.cookies["uid"] = OLD_ID

    response = browser.post("/privacy/forget/")

    assert response.status_code == 403
    assert not ForgottenVisitor.objects.exists()
    assert forgotten_ids == []
    assert "uid" not in response.cookies


def test_forget_me_with_the_pages_token_forgets_the_visitor(db, forgotten_ids) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.cookies["uid"] = OLD_ID
    page = browser.get("/privacy/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    response = browser.post("/privacy/forget/", {"csrfmiddlewaretoken": token})

    assert response.status_code == 302
    assert list(ForgottenVisitor.objects.values_list("visitor_id", flat=True)) == [OLD_ID]
    assert forgotten_ids == [OLD_ID]


def test_forget_me_gives_the_browser_a_new_id(visitor, db) -> None:
    response = visitor.post("/privacy/forget/")

    new_cookie = response.cookies["uid"]
    assert re.fullmatch(r"[0-9a-f]{32}", new_cookie.value)
    assert new_cookie.value != OLD_ID
    assert new_cookie["max-age"] == 30 * 24 * 3600
    assert new_cookie["httponly"] is True


def test_forget_me_redirects_to_a_confirmation(visitor, db) -> None:
    response = visitor.post("/privacy/forget/", follow=True)

    assert response.redirect_chain == [("/privacy/?forgotten=1", 302)]
    assert b'role="status">Done: what this shop kept about your visitor id is erased' in (
        response.content
    )


def test_the_next_request_carries_the_new_id_not_the_forgotten_one(visitor, db) -> None:
    new_id = visitor.post("/privacy/forget/").cookies["uid"].value

    response = visitor.get("/privacy/?forgotten=1")

    assert response.wsgi_request.visitor_id == new_id
    assert "uid" not in response.cookies


def test_get_on_forget_erases_nothing(visitor, db, forgotten_ids) -> None:
    response = visitor.get("/privacy/forget/")

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert not ForgottenVisitor.objects.exists()
    assert forgotten_ids == []
    assert "uid" not in response.cookies


def test_a_visitor_without_a_cookie_is_told_there_was_nothing_to_forget(
    client, db, forgotten_ids
) -> None:
    response = client.post("/privacy/forget/")

    assert response.headers["Location"] == "/privacy/?forgotten=0"
    assert not ForgottenVisitor.objects.exists()
    assert forgotten_ids == []
    assert len(response.cookies["uid"].value) == 32  # the middleware's first cookie
    assert b"there was nothing to forget" in client.get(response.headers["Location"]).content


def test_a_forged_cookie_is_nothing_to_forget(client, db, forgotten_ids) -> None:
    client.cookies["uid"] = "not-a-visitor-id"

    response = client.post("/privacy/forget/")

    assert response.headers["Location"] == "/privacy/?forgotten=0"
    assert forgotten_ids == []


def test_forgetting_again_sends_the_signal_again_and_keeps_one_row(db, forgotten_ids) -> None:
    forget_visitor(visitor_id=OLD_ID)

    forget_visitor(visitor_id=OLD_ID)

    assert ForgottenVisitor.objects.get().visitor_id == OLD_ID
    assert forgotten_ids == [OLD_ID, OLD_ID]


def test_the_id_is_recorded_as_forgotten_before_the_read_models_erase(db) -> None:
    recorded_when_sent = []

    def receiver(sender, visitor_id: str, **kwargs) -> None:
        recorded_when_sent.append(ForgottenVisitor.objects.filter(visitor_id=visitor_id).exists())

    visitor_forgotten.connect(receiver)
    try:
        forget_visitor(visitor_id=OLD_ID)
    finally:
        visitor_forgotten.disconnect(receiver)

    assert recorded_when_sent == [True]


def test_staff_see_who_was_forgotten_but_cannot_delete_the_record(admin_client) -> None:
    forget_visitor(visitor_id=OLD_ID)
    row = ForgottenVisitor.objects.get()
    changelist = "/admin/privacy/forgottenvisitor/"

    assert OLD_ID in admin_client.get(changelist, {"q": OLD_ID}).content.decode()
    assert admin_client.post(f"{changelist}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert ForgottenVisitor.objects.exists()


def apply(events: list[Event]) -> None:
    """As the trends and recommendations consumers would: each handler gets its type's events."""
    for handlers in (TREND_HANDLERS, RECOMMENDATION_HANDLERS):
        for event_type, handle in handlers.items():
            if batch := [event for event in events if event.type == event_type]:
                handle(batch)


def browsing(visitor_id: str, *, minutes: int = 0) -> list[Event]:
    """A visitor's search that found books, one that found nothing, and a book they opened."""
    time = T0 + datetime.timedelta(minutes=minutes)
    books = [{**EMMA, "id": book_id, "title": f"Book {book_id}"} for book_id in (1, 2, 3)]
    return [
        search_event(query="emma", books=books[:2], visitor_id=visitor_id, time=time),
        search_event(query="xyzzy", books=[], visitor_id=visitor_id, time=time),
        book_event(BOOK_VIEWED, books[2], visitor_id=visitor_id, time=time),
    ]


def per_visitor_models() -> list[type[Model]]:
    """The read models' tables that name a visitor."""
    return [
        model
        for app in ("trends", "recommendations")
        for model in apps.get_app_config(app).get_models()
        if any(field.name == "visitor_id" for field in model._meta.fields)
    ]


def rows_of(visitor_id: str) -> dict[str, int]:
    counts = {
        m.__name__: m.objects.filter(visitor_id=visitor_id).count() for m in per_visitor_models()
    }
    return {name: count for name, count in counts.items() if count}


def test_forget_me_erases_the_visitors_read_model_rows_and_later_events_store_nothing(
    visitor, db
) -> None:
    apply(browsing(OLD_ID) + browsing(OTHER_ID))
    assert {"Interest", "OpenedBook", "TrendVisitor", "UnmetSearch"} <= set(rows_of(OLD_ID))
    others = rows_of(OTHER_ID)

    visitor.post("/privacy/forget/")
    apply(browsing(OLD_ID, minutes=90))

    assert rows_of(OLD_ID) == {}
    assert rows_of(OTHER_ID) == others
