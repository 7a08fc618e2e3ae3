from django.core.management import call_command

from books.models import Book


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
