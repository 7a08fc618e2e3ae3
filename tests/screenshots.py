"""The README's screenshots (docs/img/), taken in a real browser with the boxes filled through
the real pipeline. Not a test of its own, so not named test_*.py: `make screenshots` runs it,
`.venv/bin/pytest tests/screenshots.py`, against MariaDB and Kafka from `make services`."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from books.models import Book
from tests.helpers import REPO
from tests.test_browser import run_pipeline, search

pytestmark = pytest.mark.browser

# The README's screenshots: `make screenshots` refreshes them (docs/img/).
SCREENSHOTS = REPO / "docs" / "img"
# (queries, titles opened) of the visitors whose events fill the boxes; the first is the one
# whose pages are shot.
VISITORS = [
    (["dickens", "kafka"], ["Bleak House"]),
    (["dickens"], ["Bleak House", "Great Expectations", "Oliver Twist"]),
    (["kafka", "murakami"], ["Kafka on the Shore", "Der Prozess", "Norwegian Wood"]),
    (["dickens", "austen"], ["Great Expectations", "Emma"]),
    (["war"], ["War and Peace"]),
]


def test_screenshots(page, live_server, event_topics, manage_py_env, django_user_model) -> None:
    call_command("load_sample_books", verbosity=0)
    env = manage_py_env()
    me = page
    for number, (queries, titles) in enumerate(VISITORS):
        visitor = me if number == 0 else page.context.browser.new_page()
        for query in queries:
            search(visitor, live_server.url, query)
        for title in titles:
            book = Book.objects.filter(title=title).first()
            assert book is not None, f"{title} is not a sample book"
            visitor.goto(f"{live_server.url}/books/{book.pk}/")
    run_pipeline(env, event_topics["KAFKA_TOPIC"])
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    me.set_viewport_size({"width": 1280, "height": 900})

    def shoot(path: str, name: str, *, full_page: bool = False) -> None:
        me.goto(live_server.url + path)
        me.wait_for_load_state("networkidle")
        me.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=full_page)

    shoot("/", "home", full_page=True)
    expect(me.locator("section.trends li").first).to_be_visible()
    expect(me.locator("section.recommendations li").first).to_be_visible()
    shoot("/?q=war&page=2", "results", full_page=True)
    bleak_house = Book.objects.get(title="Bleak House")
    shoot(f"/books/{bleak_house.pk}/?q=dickens", "book", full_page=True)
    me.set_viewport_size({"width": 375, "height": 740})
    shoot("/?q=dickens", "phone")

    django_user_model.objects.create_superuser("admin", "admin@example.com", "s3cret-pass")
    me.set_viewport_size({"width": 1280, "height": 800})
    me.goto(live_server.url + "/admin/login/")
    me.get_by_label("Username:").fill("admin")
    me.get_by_label("Password:").fill("s3cret-pass")
    me.get_by_role("button", name="Log in").click()
    shoot("/admin/events/outboxevent/", "admin-outbox")
    shoot("/admin/pipeline/", "admin-pipeline", full_page=True)
