"""A real browser (Debian's Chromium through Playwright) against a live server."""

import pytest
from playwright.sync_api import Page, expect

from tests.helpers import REPO, manage_py

# Installed by `make test` (the Makefile's AXE_CORE).
AXE_CORE = REPO / ".services/node/node_modules/axe-core/axe.min.js"

pytestmark = pytest.mark.browser


def search(page: Page, base_url: str, query: str) -> None:
    page.goto(base_url + "/")
    page.get_by_label("Search books").fill(query)
    page.get_by_role("button", name="Search").click()


def run_pipeline(env: dict[str, str], topic: str) -> None:
    """Relay the outbox to Kafka and run both consumers over it, as `make run` does."""
    assert manage_py("relay_events", "--once", env=env).returncode == 0
    for command in ("consume_trends", "consume_recommendations"):
        result = manage_py(command, "--group", f"{command}-{topic}", "--timeout", "3", env=env)
        assert result.returncode == 0, result.stderr


def test_searching_paging_and_seeing_trends_and_recommendations(
    page, live_server, catalogue, topic, manage_py_env, settings
) -> None:
    settings.PAGE_SIZE = 2
    env = manage_py_env(PAGE_SIZE="2")
    # Another visitor (a browser context of its own: its own cookie) found and opened a book.
    other = page.context.browser.new_page()
    search(other, live_server.url, "kafka")
    other.goto(f"{live_server.url}/books/{catalogue['trial'].pk}/")

    search(page, live_server.url, "kafka")

    expect(page.get_by_role("heading", name="Results for “kafka”")).to_be_visible()
    expect(page.locator("article.book")).to_have_count(2)
    expect(page.get_by_text("Page 1 of 2")).to_be_visible()
    page.get_by_role("link", name="Next →").click()
    expect(page.get_by_text("Page 2 of 2")).to_be_visible()
    expect(page.get_by_role("link", name="Page 2")).to_have_attribute("aria-current", "page")
    expect(page.locator("article.book")).to_have_count(2)

    run_pipeline(env, topic)
    page.reload()

    trends = page.locator("section.trends")
    expect(trends.get_by_role("link", name="kafka")).to_be_visible()
    expect(trends).to_contain_text("(2)")  # two visitors; two pages of one count once
    recommended = page.locator("section.recommendations")
    expect(recommended.locator("li")).to_have_count(1)
    expect(recommended).to_contain_text("Der Prozess")
    expect(recommended).to_contain_text("because you searched kafka")


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
    expect(page.locator("article.book h2")).to_have_text(
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


def accessibility_violations(page: Page) -> list[str]:
    """axe-core's violations on the page as shown, one readable line per rule and element.

    Evaluated through the DevTools protocol rather than added as a <script>, which the
    Content-Security-Policy (script-src 'self') would refuse."""
    assert AXE_CORE.exists(), f"{AXE_CORE} is missing: run `make test`, which installs it"
    page.evaluate(AXE_CORE.read_text())
    violations = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        f"{node['target']}: {node['failureSummary']}"
        for violation in violations
        for node in violation["nodes"]
    ]


def test_pages_have_no_accessibility_violations(
    page, live_server, catalogue, django_user_model
) -> None:
    book = catalogue["shore"]
    pages = {
        "/": page.get_by_role("heading", name="Newest books"),
        "/?q=kafka": page.locator("article.book").first,
        "/?q=zzzzqx": page.get_by_text("No books match"),
        f"/books/{book.pk}/?q=kafka": page.get_by_role("heading", name=book.title),
        "/no-such-page/": page.get_by_role("heading", name="Not found"),
        "/admin/login/": page.get_by_role("button", name="Log in"),
    }
    violations = []
    for path, rendered in pages.items():
        page.goto(live_server.url + path)
        expect(rendered).to_be_visible()
        violations += [f"{path}: {line}" for line in accessibility_violations(page)]

    assert violations == [], "\n".join(violations)


def test_on_a_phone_the_boxes_are_one_tap_from_the_top_of_the_results(
    page, live_server, catalogue
) -> None:
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(live_server.url + "/?q=kafka")
    jump = page.get_by_role("link", name="Trends and suggestions")
    boxes = page.locator("#suggestions")

    expect(jump).to_be_in_viewport()
    expect(boxes).not_to_be_in_viewport()
    jump.click()
    expect(boxes).to_be_in_viewport()

    page.set_viewport_size({"width": 1280, "height": 800})
    expect(jump).to_be_hidden()  # beside the results on a wide screen, nothing to jump to
