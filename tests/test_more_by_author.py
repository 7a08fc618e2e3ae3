import datetime

from books.selectors import more_by_author


def test_more_by_author_lists_the_authors_other_books_newest_first(make_book) -> None:
    book = make_book(title="Emma", author="Jane Austen", published_at=datetime.date(1815, 12, 23))
    persuasion = make_book(
        title="Persuasion", author="Jane Austen", published_at=datetime.date(1817, 12, 20)
    )
    pride = make_book(
        title="Pride and Prejudice", author="Jane Austen", published_at=datetime.date(1813, 1, 28)
    )
    make_book(title="Bleak House", author="Charles Dickens")

    assert more_by_author(book=book) == [persuasion, pride]


def test_more_by_author_stops_at_the_limit(make_book) -> None:
    book = make_book(author="Agatha Christie")
    for year in range(1920, 1930):
        make_book(author="Agatha Christie", published_at=datetime.date(year, 1, 1))

    found = more_by_author(book=book, limit=3)

    assert [other.published_at.year for other in found] == [1929, 1928, 1927]
