"""Turning searches into interests, views into opened books, and both into co-occurrence
counts: the `rec-svr` consumer's handlers, each run inside the consumer's transaction with a
few statements per batch. Events without a visitor id count for nobody; events of forgotten
visitors are dropped, so that a late event or a rebuild does not store their id again.

A visitor's seeds are the books they found (Interest) or opened (OpenedBook). Visitor W
opening book B for the first time makes each seed S that W had first seen before then
co-occur with B: CoOccurrence(S → B) gains one visitor. Whichever of the two events the
consumer applies last finds the pair, so that the counts do not depend on the order in which
the searches and views topics are read (a rebuild reads them in another order than the live
consumer did); each pair counts once per visitor, since a book is first opened and first
seen once."""

import datetime
from collections import defaultdict
from collections.abc import Callable

from django.db.models import F, QuerySet, Window
from django.db.models.functions import RowNumber

from bookstore_site.upsert import add_counts
from events.envelope import Event
from privacy.selectors import forgotten_visitors
from recommendations.models import SEEDS_PER_VISITOR, CoOccurrence, Interest, OpenedBook

Pair = tuple[str, int, int]  # visitor, seed book, opened book
# The opened book as an event carried it, and when it was opened.
Opening = tuple[dict, datetime.datetime]


def add_interests(events: list[Event]) -> None:
    """Add 1 to a visitor's interest in each book a search.performed event of theirs found,
    remembering the query; a book newly found before one the visitor opened co-occurs
    with it."""
    events = _remembered(events)
    first_found = _for_pairs(Interest.objects.all(), events, books_of=_found, time="found_at")
    known = first_found.keys() | _for_pairs(
        OpenedBook.objects.all(), events, books_of=_found, time="opened_at"
    )
    opened = _latest_opened(events)
    pairs: dict[Pair, Opening] = {}
    rows: dict[tuple[str, int], Interest] = {}
    for event in events:
        for book in event.data:
            key = (event.visitor_id, book["id"])
            row = rows.get(key)
            if row is None:
                rows[key] = Interest(
                    visitor_id=event.visitor_id,
                    book_id=book["id"],
                    score=1,
                    book=book,
                    query=event.subject,
                    found_at=event.time,
                    updated_at=event.time,
                )
            else:
                row.score += 1
                row.found_at = min(row.found_at, event.time)
                if event.time >= row.updated_at:
                    row.book, row.query, row.updated_at = book, event.subject, event.time
            if key not in known:
                known.add(key)
                for later in _opened_after(opened[event.visitor_id], event.time, book["id"]):
                    pairs[(event.visitor_id, book["id"], later.book_id)] = (
                        later.book,
                        later.opened_at,
                    )
    add_counts(
        list(rows.values()),
        unique_fields=["visitor_id", "book_id"],
        count_field="score",
        time_field="updated_at",
        latest_fields=["book", "query"],
    )
    # A search applied after a later one of the same visitor (another partition) moves the
    # first time back: one statement for each, seldom any.
    for key, row in rows.items():
        if key in first_found and row.found_at < first_found[key]:
            Interest.objects.filter(visitor_id=row.visitor_id, book_id=row.book_id).update(
                found_at=row.found_at
            )
    _count_pairs(pairs)


def record_opened(events: list[Event]) -> None:
    """Remember which books each visitor opened (book.viewed), the first time they did; a
    first opening co-occurs with the visitor's seeds seen before it."""
    events = _remembered(events)
    viewed = _for_pairs(OpenedBook.objects.all(), events, books_of=_opened, time="opened_at")
    known = viewed.keys() | _for_pairs(
        Interest.objects.all(), events, books_of=_opened, time="found_at"
    )
    opened = _latest_opened(events)
    seeds = _latest_seeds(events, opened=opened)
    pairs: dict[Pair, Opening] = {}
    first_opened: dict[tuple[str, int], OpenedBook] = {}
    for event in events:
        visitor, book_id = event.visitor_id, event.data["id"]
        if (visitor, book_id) in viewed or (visitor, book_id) in first_opened:
            continue
        first_opened[(visitor, book_id)] = row = OpenedBook(
            visitor_id=visitor, book_id=book_id, book=event.data, opened_at=event.time
        )
        earlier = [
            seed for seed, seen in seeds[visitor].items() if seen < event.time and seed != book_id
        ]
        for seed in sorted(earlier, key=seeds[visitor].get)[-SEEDS_PER_VISITOR:]:
            pairs[(visitor, seed, book_id)] = (event.data, event.time)
        if (visitor, book_id) not in known:
            known.add((visitor, book_id))
            for later in _opened_after(opened[visitor], event.time, book_id):
                pairs[(visitor, book_id, later.book_id)] = (later.book, later.opened_at)
        seeds[visitor][book_id] = min(seeds[visitor].get(book_id, event.time), event.time)
        opened[visitor].append(row)
    OpenedBook.objects.bulk_create(list(first_opened.values()), ignore_conflicts=True)
    _count_pairs(pairs)


def forget_visitor_rows(*, visitor_id: str) -> None:
    """Erase the visitor's seeds; the co-occurrence counts hold no visitor id and stay."""
    Interest.objects.filter(visitor_id=visitor_id).delete()
    OpenedBook.objects.filter(visitor_id=visitor_id).delete()


def _remembered(events: list[Event]) -> list[Event]:
    """The events of known visitors who have not asked to be forgotten. One query."""
    forgotten = forgotten_visitors(visitor_ids=[event.visitor_id for event in events])
    return [e for e in events if e.visitor_id and e.visitor_id not in forgotten]


def _found(event: Event) -> list[int]:
    return [book["id"] for book in event.data]


def _opened(event: Event) -> list[int]:
    return [event.data["id"]]


def _for_pairs(
    rows: QuerySet, events: list[Event], *, books_of: Callable[[Event], list[int]], time: str
) -> dict[tuple[str, int], datetime.datetime]:
    """The (visitor, book) pairs of `events` that `rows` hold, with their `time` field. One
    query, narrowed to the batch's visitors and books, the exact pairs sorted out here."""
    wanted = {(e.visitor_id, book_id) for e in events for book_id in books_of(e)}
    if not wanted:
        return {}
    found = rows.filter(
        visitor_id__in={visitor for visitor, _ in wanted},
        book_id__in={book_id for _, book_id in wanted},
    ).values_list("visitor_id", "book_id", time)
    return {
        (visitor, book_id): at for visitor, book_id, at in found if (visitor, book_id) in wanted
    }


def _latest(rows: QuerySet, events: list[Event], *, time_field: str) -> QuerySet:
    """Each of the batch's visitors' latest SEEDS_PER_VISITOR `rows` by `time_field`."""
    return (
        rows.filter(visitor_id__in={event.visitor_id for event in events})
        .annotate(
            rank=Window(RowNumber(), partition_by=F("visitor_id"), order_by=F(time_field).desc())
        )
        .filter(rank__lte=SEEDS_PER_VISITOR)
    )


def _latest_seeds(
    events: list[Event], *, opened: dict[str, list[OpenedBook]]
) -> dict[str, dict[int, datetime.datetime]]:
    """The batch's visitors' latest seeds, the books they found and their latest `opened`,
    each with when the visitor first saw it. One query."""
    seeds: dict[str, dict[int, datetime.datetime]] = defaultdict(dict)
    if not events:
        return seeds
    found = _latest(Interest.objects.all(), events, time_field="found_at")
    for visitor, book_id, seen in [
        *found.values_list("visitor_id", "book_id", "found_at"),
        *((row.visitor_id, row.book_id, row.opened_at) for rows in opened.values() for row in rows),
    ]:
        known = seeds[visitor].get(book_id)
        seeds[visitor][book_id] = seen if known is None else min(known, seen)
    return seeds


def _latest_opened(events: list[Event]) -> dict[str, list[OpenedBook]]:
    """The batch's visitors' latest opened books. One query."""
    opened: dict[str, list[OpenedBook]] = defaultdict(list)
    if events:
        for row in _latest(OpenedBook.objects.all(), events, time_field="opened_at"):
            opened[row.visitor_id].append(row)
    return opened


def _opened_after(
    opened: list[OpenedBook], time: datetime.datetime, book_id: int
) -> list[OpenedBook]:
    """The books of `opened` first opened after `time`, other than `book_id`: a search that
    reaches the consumer after the views it preceded (another topic) pairs with them."""
    return [row for row in opened if row.opened_at > time and row.book_id != book_id]


def _count_pairs(pairs: dict[Pair, Opening]) -> None:
    """Add one visitor per pair to its seed → opened book count, the newest opening's book
    details kept. One statement."""
    add_counts(
        [
            CoOccurrence(seed_book_id=seed, book_id=book_id, visitors=1, book=book, updated_at=time)
            for (_, seed, book_id), (book, time) in pairs.items()
        ],
        unique_fields=["seed_book_id", "book_id"],
        count_field="visitors",
        time_field="updated_at",
        latest_fields=["book"],
    )
