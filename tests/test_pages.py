"""The pages as a visitor reads them: the pager, past the last page, a bad page number, matched
words marked, the way back from a book to its results, dates as precise as known, the 500 page,
the favicon and the footer."""

import datetime

import pytest
from django.template.loader import render_to_string

from books.highlight import highlight
from books.models import Book
from books.pagination import Pager
from books.selectors import BookPage

# --- The pager ---------------------------------------------------------------------------------


def pager(number: int, total: int, *, lower_bound: bool = False, limit: int = 5) -> Pager:
    page = BookPage(
        query="q",
        books=[],
        total=total,
        offset=(number - 1) * limit,
        limit=limit,
        total_is_lower_bound=lower_bound,
    )
    return Pager.of(page)


@pytest.mark.parametrize(
    ("number", "total", "links"),
    [
        (1, 5, [1]),
        (1, 15, [1, 2, 3]),
        (6, 60, [1, None, 4, 5, 6, 7, 8, None, 12]),
        (4, 60, [1, 2, 3, 4, 5, 6, None, 12]),  # a gap of one page is linked, not "…"
        (12, 60, [1, None, 10, 11, 12]),
    ],
)
def test_the_pager_links_the_first_last_and_nearby_pages(number, total, links) -> None:
    assert pager(number, total).links == links


def test_the_pager_counts_whole_pages_and_knows_a_capped_count() -> None:
    assert (pager(1, 11).last, pager(1, 11).last_is_lower_bound) == (3, False)
    assert (pager(1, 200, lower_bound=True).last, pager(1, 0).last) == (40, 1)
    assert pager(1, 200, lower_bound=True).last_is_lower_bound


def test_results_show_numbered_pages_with_the_current_one_marked(
    client, catalogue, settings
) -> None:
    settings.PAGE_SIZE = 2

    first = client.get("/", {"q": "kafka"}).text
    second = client.get("/", {"q": "kafka", "page": 2}).text

    assert "Page 1 of 2" in first
    assert '<a href="/?q=kafka" aria-current="page" aria-label="Page 1">1</a>' in first
    assert '<a href="/?q=kafka&amp;page=2" aria-label="Page 2">2</a>' in first
    assert 'rel="next" href="/?q=kafka&amp;page=2"' in first
    assert 'rel="prev"' not in first
    assert "Page 2 of 2" in second
    assert 'rel="prev" href="/?q=kafka"' in second
    assert 'rel="next"' not in second


def test_a_single_page_of_results_has_no_pager(client, catalogue) -> None:
    assert 'aria-label="Pages"' not in client.get("/", {"q": "emma"}).text


# --- Past the last page, and a bad page number -------------------------------------------------


def test_a_page_past_the_end_redirects_to_the_last_page_keeping_the_query(
    client, catalogue, settings
) -> None:
    settings.PAGE_SIZE = 3

    response = client.get("/", {"q": "kafka", "page": 99})

    assert response.status_code == 302
    assert response["Location"] == "/?q=kafka&page=2"
    assert len(client.get(response["Location"]).context["result"].books) == 1


def test_a_page_past_the_end_of_no_results_redirects_to_the_first(client, catalogue) -> None:
    response = client.get("/", {"q": "zzzz", "page": 3})

    assert response["Location"] == "/?q=zzzz"


def test_a_page_past_the_newest_books_redirects_to_their_last_page(
    client, catalogue, settings
) -> None:
    settings.PAGE_SIZE = 2

    assert client.get("/", {"page": 50})["Location"] == "/?page=3"


def test_a_bad_page_number_keeps_the_query_escaped(client, db) -> None:
    response = client.get("/", {"q": "a&b <i>", "page": "x"})

    assert response.status_code == 400
    assert '<a href="/?q=a%26b+%3Ci%3E">Show the results for “a&amp;b &lt;i&gt;”</a>' in (
        response.text
    )
    assert 'value="a&amp;b &lt;i&gt;"' in response.text  # still in the search box


# --- Matched words -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "query", "marked"),
    [
        ("Kafka on the Shore", "KAFKA", "<mark>Kafka</mark> on the Shore"),
        # Earlier words whole, the last one as a prefix; stopwords are not marked.
        ("Kafka on the Shore", "on the sho", "Kafka on the <mark>Shore</mark>"),
        ("Kafkaesque Kafka", "kafka shore", "Kafkaesque <mark>Kafka</mark>"),
        ("Kafkaesque Kafka", "kafka", "<mark>Kafkaesque</mark> <mark>Kafka</mark>"),
        ("地球往事三部曲之一", "三部曲", "地球往事<mark>三部曲</mark>之一"),
        ("Tom & Jerry <b>", "jerry", "Tom &amp; <mark>Jerry</mark> &lt;b&gt;"),
        ("a&b", "a&b", "a&amp;<mark>b</mark>"),
        ("Nothing here", "", "Nothing here"),
    ],
)
def test_highlight_marks_the_searched_words_and_escapes_the_rest(text, query, marked) -> None:
    assert highlight(text, query) == marked


def test_highlight_cuts_a_long_text_around_its_first_match() -> None:
    text = "Filler words come first. " * 20 + "The needle is here, and more follows. " * 5

    marked = highlight(text, "needle", length=120)

    assert marked.startswith("\N{HORIZONTAL ELLIPSIS}")
    assert marked.endswith("\N{HORIZONTAL ELLIPSIS}")
    assert "<mark>needle</mark>" in marked
    assert len(marked) < 140 + len("<mark></mark>") * 3


def test_results_mark_matched_words_without_trusting_the_text_or_the_query(
    client, transactional_db, make_book
) -> None:
    # Committed (transactional_db), for the FULLTEXT index to see the book.
    make_book(title="Tom & Jerry: a&b <script>alert(1)</script>", author="Hanna Barbera")

    by_symbols = client.get("/", {"q": "a&b"}).text
    by_tag = client.get("/", {"q": "<script>"}).text

    assert "<mark>b</mark> &lt;script&gt;" in by_symbols
    assert "&lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt;" in by_tag
    assert "<script>" not in by_tag


# --- A book's page -----------------------------------------------------------------------------


def test_result_links_carry_the_search_and_the_book_page_leads_back(
    client, catalogue, settings
) -> None:
    settings.PAGE_SIZE = 2
    results = client.get("/", {"q": "kafka", "page": 2})
    book = results.context["result"].books[0]

    book_page = client.get(f"/books/{book.pk}/", {"q": "kafka", "page": 2}).text

    assert f'href="/books/{book.pk}/?q=kafka&amp;page=2"' in results.text
    assert '<a href="/?q=kafka&amp;page=2">← Back to the results for “kafka”</a>' in book_page


@pytest.mark.parametrize("query", [{}, {"q": ""}, {"q": "kafka", "page": "-3"}, {"q": "x" * 201}])
def test_a_book_page_without_a_valid_search_has_no_way_back(client, catalogue, query) -> None:
    response = client.get(f"/books/{catalogue['emma'].pk}/", query)

    assert response.status_code == 200
    assert "Back to the results" not in response.text


def test_a_book_page_shows_more_by_its_author_and_what_its_readers_also_opened(
    client, make_book, monkeypatch
) -> None:
    emma = make_book(title="Emma", author="Jane Austen")
    make_book(title="Persuasion", author="Jane Austen")
    make_book(title="Mansfield Park", author="Jane Austen")
    make_book(title="Dracula", author="Bram Stoker")
    opened = []

    def readers_also_opened(*, book_id: int, limit: int) -> list[dict]:
        opened.append((book_id, limit))
        return [{"id": 99, "title": "Cranford", "author": "Elizabeth Gaskell"}]

    monkeypatch.setattr("books.views.readers_also_opened", readers_also_opened)

    html = client.get(f"/books/{emma.pk}/").text

    more = html.split('id="more-by-author-heading"')[1].split("</section>")[0]
    assert "Persuasion" in more
    assert "Mansfield Park" in more
    assert "Emma</a>" not in more
    assert "Dracula" not in more
    also = html.split('id="also-opened-heading"')[1].split("</section>")[0]
    assert '<a href="/books/99/">Cranford</a>' in also
    assert opened == [(emma.pk, 5)]


@pytest.mark.parametrize(
    ("precision", "shown", "not_shown"),
    [
        (Book.Precision.YEAR, "<dd>1951</dd>", "January"),
        (Book.Precision.MONTH, "<dd>July 1951</dd>", "16 July"),
        (Book.Precision.DAY, "<dd>16 July 1951</dd>", None),
    ],
)
def test_a_book_page_shows_its_date_as_precisely_as_it_is_known(
    client, make_book, precision, shown, not_shown
) -> None:
    day = datetime.date(1951, 1, 1) if precision == Book.Precision.YEAR else None
    day = day or datetime.date(1951, 7, 1 if precision == Book.Precision.MONTH else 16)
    book = make_book(title="The Catcher in the Rye", published_at=day)
    Book.objects.filter(pk=book.pk).update(published_precision=precision)

    html = client.get(f"/books/{book.pk}/").text

    assert shown in html
    assert not_shown is None or not_shown not in html


# --- The 500 page, the favicon, the footer -----------------------------------------------------


def test_the_500_page_is_styled_and_renders_without_the_database(django_db_blocker) -> None:
    with django_db_blocker.block():
        html = render_to_string("500.html")

    assert '<link rel="stylesheet" href="/static/books/site.css">' in html
    assert '<link rel="icon" href="/static/books/favicon.svg"' in html
    assert "<h1>Something went wrong</h1>" in html
    assert '<a href="/">go back to the search</a>' in html


def test_a_failing_view_answers_the_500_page(client, db, monkeypatch) -> None:
    def fail(**kwargs) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("books.views.perform_search", fail)
    client.raise_request_exception = False

    response = client.get("/", {"q": "kafka"})

    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert "site.css" in response.text


def test_favicon_ico_is_an_icon_and_pages_name_the_svg_one(client, db) -> None:
    response = client.get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert b"".join(response.streaming_content).startswith(b"\x00\x00\x01\x00")  # ICO header
    assert "max-age=604800" in response["Cache-Control"]
    svg = client.get("/static/books/favicon.svg")
    assert svg.status_code == 200
    assert '<link rel="icon" href="/static/books/favicon.svg"' in client.get("/").text


def test_the_footer_speaks_to_visitors(client, db) -> None:
    footer = client.get("/").text.split('<footer class="site-footer">')[1]

    assert "online bookshop" in footer
    assert '<a href="/privacy/">Privacy</a>' in footer
    assert '<a href="/api/docs">API for developers</a>' in footer
    assert "Kafka" not in footer
    assert "Admin" not in footer


def test_every_page_starts_with_a_skip_link_and_the_results_offer_the_boxes(
    client, catalogue
) -> None:
    html = client.get("/", {"q": "kafka"}).text

    assert '<a class="skip-link" href="#content">Skip to content</a>' in html
    assert '<main id="content"' in html
    assert html.index('href="#suggestions"') < html.index('<article class="book">')
    assert '<aside id="suggestions"' in html
