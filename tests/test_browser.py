"""A real browser (Debian's Chromium through Playwright) against a live server."""

import os

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.helpers import manage_py

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.browser


@pytest.fixture
def page(live_server, monkeypatch):
    assert os.path.exists(CHROMIUM), "Chromium is missing: apt-get install chromium"
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # between browser steps are still plain synchronous ones.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page()
        page.set_default_timeout(15000)
        yield page
        browser.close()


def search(page: Page, base_url: str, query: str) -> None:
    page.goto(base_url + "/")
    page.get_by_label("Search books").fill(query)
    page.get_by_role("button", name="Search").click()


def test_searching_paging_and_seeing_trends_and_recommendations(
    page, live_server, catalogue, topic, manage_py_env, settings
) -> None:
    settings.PAGE_SIZE = 2
    env = manage_py_env(PAGE_SIZE="2")

    search(page, live_server.url, "kafka")

    expect(page.get_by_role("heading", name="Results for “kafka”")).to_be_visible()
    expect(page.locator("article.book")).to_have_count(2)
    page.get_by_role("link", name="Next →").click()
    expect(page.get_by_text("Page 2")).to_be_visible()
    expect(page.locator("article.book")).to_have_count(2)

    assert manage_py("relay_events", "--once", env=env).returncode == 0
    for command in ("consume_trends", "consume_recommendations"):
        result = manage_py(command, "--group", f"{command}-{topic}", "--timeout", "3", env=env)
        assert result.returncode == 0, result.stderr
    page.reload()

    trends = page.locator("section.trends")
    expect(trends.get_by_role("link", name="kafka")).to_be_visible()
    expect(trends).to_contain_text("(1)")  # two pages of one visitor's search count once
    recommended = page.locator("section.recommendations")
    expect(recommended.locator("li")).to_have_count(4)
    expect(recommended).to_contain_text("Kafka on the Shore")


def test_admin_adds_a_book_that_the_search_then_finds(
    page, live_server, django_user_model, transactional_db
) -> None:
    django_user_model.objects.create_superuser("admin", "admin@example.com", "s3cret-pass")

    page.goto(live_server.url + "/admin/books/book/add/")
    page.get_by_label("Username:").fill("admin")
    page.get_by_label("Password:").fill("s3cret-pass")
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("Title:").fill("The Log: What every software engineer should know")
    page.get_by_label("Author:").fill("Jay Kreps")
    page.get_by_label("Published at:").fill("2013-12-16")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    search(page, live_server.url, "kreps")

    expect(page.locator("article.book")).to_have_count(1)
    expect(page.locator("article.book h3")).to_have_text(
        "The Log: What every software engineer should know"
    )


# Every violation of the Content-Security-Policy, as the page reports it to itself; Chromium
# also logs each to the console ("Refused to ... Content Security Policy"), collected beside.
REPORT_CSP_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


def test_pages_admin_and_api_docs_run_under_the_content_security_policy(
    page, live_server, catalogue
) -> None:
    console_violations = []
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text and console_violations.append(message.text)
        ),
    )
    page.add_init_script(REPORT_CSP_VIOLATIONS)
    book = catalogue["shore"]
    pages = {
        "/": page.get_by_role("button", name="Search"),
        "/?q=kafka": page.locator("article.book").first,
        f"/books/{book.pk}/": page.get_by_role("heading", name=book.title),
        "/admin/login/": page.get_by_role("button", name="Log in"),
        # Swagger UI, from ninja's static files, rendered the operations it fetched.
        "/api/docs": page.locator(".opblock").first,
    }

    for path, rendered in pages.items():
        response = page.goto(live_server.url + path)
        assert "script-src 'self'" in response.headers["content-security-policy"], path
        expect(rendered).to_be_visible()
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.cspViolations") == [], path
    assert console_violations == []
