import datetime
import json

from django.core.management import call_command

from books.management.commands.load_sample_books import SAMPLE_FILE
from books.models import Book
from books.search import NO_SPACE_RUN


def test_sample_books_load_once_however_often_the_command_runs(db) -> None:
    call_command("load_sample_books")
    loaded = Book.objects.count()
    call_command("load_sample_books")

    assert loaded >= 100
    assert Book.objects.count() == loaded


def test_sample_books_are_searchable(client, transactional_db) -> None:
    # Committed, because the FULLTEXT search only sees committed books.
    call_command("load_sample_books")

    titles = [b["title"] for b in client.get("/api/books", {"q": "Definitive Guide"}).json()]

    assert "Kafka: The Definitive Guide" in titles


def test_a_sample_book_edited_since_is_not_added_again(db) -> None:
    call_command("load_sample_books")
    edited = Book.objects.exclude(isbn=None).first()
    edited.title = f"{edited.title} (2nd edition)"
    edited.save()

    call_command("load_sample_books")

    assert Book.objects.filter(isbn=edited.isbn).count() == 1


def test_sample_books_keep_how_much_of_their_date_is_known(db) -> None:
    call_command("load_sample_books")

    def book(title: str) -> tuple[datetime.date, str]:
        found = Book.objects.get(title=title)
        return found.published_at, found.published_precision

    assert book("Foundation") == (datetime.date(1951, 1, 1), Book.Precision.YEAR)
    assert book("ノルウェイの森") == (datetime.date(1987, 9, 1), Book.Precision.MONTH)
    assert book("Pride and Prejudice") == (datetime.date(1813, 1, 28), Book.Precision.DAY)


def test_no_sample_date_is_a_year_written_as_its_first_of_january() -> None:
    # Only a year or a month known is written as such; a real 1 January would need a reason.
    entries = json.loads(SAMPLE_FILE.read_text(encoding="utf-8"))

    assert [e["title"] for e in entries if e["published_at"].endswith("-01-01")] == []


def test_the_sample_catalogue_has_a_few_dozen_chinese_and_japanese_books() -> None:
    entries = json.loads(SAMPLE_FILE.read_text(encoding="utf-8"))
    cjk = [e for e in entries if NO_SPACE_RUN.search(e["description"])]

    assert len(cjk) >= 30
    assert {"刘慈欣", "鲁迅", "村上春樹", "夏目漱石"} <= {e["author"] for e in cjk}
