"""Loading many books at once: from a CSV or JSON Lines file (`manage.py import_books`) and as a
synthetic catalogue (`manage.py generate_books`).

Both insert in batches, one transaction and one multi-row INSERT per batch, and skip every book
whose ISBN or whose (title, author) the catalogue already has, so running them again adds
nothing and a run that was interrupted can simply be started again.
"""

import csv
import datetime
import json
import random
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from math import gcd, prod
from pathlib import Path
from typing import TextIO

from django.core.exceptions import ValidationError
from django.db import transaction

from books.models import Book
from books.validators import isbn13_check_digit

BATCH_SIZE = 2000
# Rows per INSERT statement: a batch of long descriptions must stay under max_allowed_packet.
INSERT_SIZE = 500
MAX_LISTED_PROBLEMS = 20
# Lines between two progress reports of an import: often enough for a bar, rare enough to be free.
PROGRESS_EVERY = 1000

REQUIRED_COLUMNS = ("title", "author", "published_at")
OPTIONAL_COLUMNS = ("description", "isbn")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
IMPORT_SUFFIXES = (".csv", ".jsonl")

Progress = Callable[[int], object]


class ImportFileError(Exception):
    """The file as a whole cannot be imported (unreadable, unknown format, wrong header)."""


@dataclass
class LoadReport:
    """What a load did. `problems` lists the first MAX_LISTED_PROBLEMS rejected rows."""

    added: int = 0
    existing: int = 0
    rejected: int = 0
    problems: list[str] = field(default_factory=list)

    def reject(self, line: int, problem: str) -> None:
        self.rejected += 1
        if len(self.problems) < MAX_LISTED_PROBLEMS:
            self.problems.append(f"line {line}: {problem}")


def add_new_books(books: list[Book]) -> int:
    """Insert those of `books` whose ISBN and (title, author) are not in the catalogue yet, nor
    earlier in `books`; return how many were inserted. One transaction, two lookups."""
    with transaction.atomic():
        isbns = set(
            Book.objects.filter(isbn__in={b.isbn for b in books if b.isbn}).values_list(
                "isbn", flat=True
            )
        )
        # The title index finds the candidates; comparing in Python keeps "exists" an exact match
        # even where the database collation would call "Emma" and "EMMA" equal.
        pairs = set(
            Book.objects.filter(title__in={b.title for b in books}).values_list("title", "author")
        )
        new = []
        for book in books:
            if book.isbn in isbns or (book.title, book.author) in pairs:
                continue
            if book.isbn:
                isbns.add(book.isbn)
            pairs.add((book.title, book.author))
            new.append(book)
        Book.objects.bulk_create(new, batch_size=INSERT_SIZE)
    return len(new)


def _load(books: Iterable[Book], report: LoadReport, batch_size: int) -> None:
    batch: list[Book] = []
    for book in books:
        batch.append(book)
        if len(batch) == batch_size:
            _store(batch, report)
            batch = []
    _store(batch, report)


def _store(batch: list[Book], report: LoadReport) -> None:
    if batch:
        added = add_new_books(batch)
        report.added += added
        report.existing += len(batch) - added


# --- Importing a file --------------------------------------------------------------------------

DATE = re.compile(r"(\d{4})(?:-(\d{2})-(\d{2}))?")
# A row is either its fields or, when it could not even be read as fields, what is wrong.
Record = tuple[int, Mapping[str, object] | str]


def count_lines(path: Path) -> int:
    """The number of lines in the file, for a progress bar; fast even for a gigabyte."""
    with path.open("rb") as file:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: file.read(1 << 20), b""))


def import_books(
    *, path: Path, batch_size: int = BATCH_SIZE, on_progress: Progress = lambda lines: None
) -> LoadReport:
    """Add the books of a .csv file (with a header row) or a .jsonl file (one JSON object per
    line), both with the keys of COLUMNS. Rows that are not valid books are rejected and
    reported by line number; the others are added. `on_progress` gets the lines read since its
    previous call."""
    if path.suffix.lower() not in IMPORT_SUFFIXES:
        raise ImportFileError(f"{path.name}: use a .csv or .jsonl file.")
    report = LoadReport()
    try:
        with path.open(encoding="utf-8-sig", newline="") as file:
            records = _csv_records(file) if path.suffix.lower() == ".csv" else _jsonl_records(file)
            _load(_valid_books(records, report, on_progress), report, batch_size)
    except OSError as exc:
        raise ImportFileError(f"Cannot read {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"{path.name} is not UTF-8 text ({exc.reason}). The batches read before that point "
            "were imported; after fixing the file, running the import again adds the rest."
        ) from exc
    return report


def _valid_books(
    records: Iterator[Record], report: LoadReport, on_progress: Progress
) -> Iterator[Book]:
    line = reported = 0
    for line, record in records:
        book = record if isinstance(record, str) else book_from_record(record)
        if isinstance(book, str):
            report.reject(line, book)
        else:
            yield book
        if line - reported >= PROGRESS_EVERY:
            on_progress(line - reported)
            reported = line
    on_progress(line - reported)


def _csv_records(file: TextIO) -> Iterator[Record]:
    reader = csv.reader(file)
    header = [name.strip().lower() for name in next(reader, [])]
    problems = [f"no column {name!r}" for name in REQUIRED_COLUMNS if name not in header] + [
        f"unknown column {name!r}" for name in header if name not in COLUMNS
    ]
    if problems:
        raise ImportFileError(
            f"line 1: {', '.join(problems)}. The header row names the columns: "
            f"{', '.join(REQUIRED_COLUMNS)}, and optionally {', '.join(OPTIONAL_COLUMNS)}."
        )
    try:
        for values in reader:
            if not values:
                continue  # a blank line
            if len(values) != len(header):
                yield reader.line_num, f"{len(values)} values, but the header has {len(header)}"
            else:
                yield reader.line_num, dict(zip(header, values, strict=True))
    except csv.Error as exc:
        raise ImportFileError(f"line {reader.line_num}: not valid CSV ({exc}).") from exc


def _jsonl_records(file: TextIO) -> Iterator[Record]:
    for line, text in enumerate(file, start=1):
        if not text.strip():
            continue
        try:
            # Without its line break, so that an unfinished object is reported on its own line.
            record = json.loads(text.rstrip("\r\n"))
        except json.JSONDecodeError as exc:
            yield line, f"not valid JSON ({exc.msg} at column {exc.colno})"
            continue
        if not isinstance(record, dict):
            yield line, f"expected a JSON object with the keys {', '.join(COLUMNS)}"
        elif unknown := [key for key in record if key not in COLUMNS]:
            yield line, f"unknown key {', '.join(map(repr, unknown))} (use {', '.join(COLUMNS)})"
        else:
            yield line, record


def book_from_record(record: Mapping[str, object]) -> Book | str:
    """An unsaved, valid Book from one row's fields, or what is wrong with them.

    The model's own field rules (blank, max_length, the ISBN validator) apply, field by field:
    full_clean() would also query the database for the unique ISBN once per row.
    """
    values: dict[str, object] = {}
    problems: list[str] = []
    for name in COLUMNS:
        raw = record.get(name)
        if name == "published_at" and isinstance(raw, int):
            raw = str(raw)  # JSON Lines files may give a bare year as a number
        if raw is not None and not isinstance(raw, str):
            problems.append(f"{name} must be text, not {type(raw).__name__}")
            continue
        text = (raw or "").strip()
        model_field = Book._meta.get_field(name)
        if not text and not model_field.blank:
            problems.append(f"{name} is missing")
        elif name == "published_at":
            try:
                values[name] = parse_published_at(text)
            except ValueError as exc:
                problems.append(str(exc))
        else:
            try:
                values[name] = model_field.clean(text, None)
            except ValidationError as exc:
                problems.append(f"{name} {_shorten(text)!r}: {' '.join(exc.messages)}")
    return "; ".join(problems) if problems else Book(**values)


def parse_published_at(text: str) -> datetime.date:
    """A publication date written as YYYY-MM-DD, or as YYYY for the first of January."""
    match = DATE.fullmatch(text)
    if match:
        year, month, day = match.groups(default="1")
        try:
            return datetime.date(int(year), int(month), int(day))
        except ValueError:
            pass
    raise ValueError(f"published_at {_shorten(text)!r} is not a date (use YYYY-MM-DD or YYYY)")


def _shorten(text: str, length: int = 40) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


# --- Generating a synthetic catalogue ----------------------------------------------------------

MAX_SEED = 99
MAX_BOOKS_PER_SEED = 10_000_000

TITLE_PATTERNS = (
    "The {adjective} {noun} of {place}",
    "Letters from the {adjective} {noun} of {place}",
    "{place}: The {adjective} {noun}",
    "The {noun} and the {adjective} {place}",
    "Beyond the {adjective} {noun} of {place}",
    "The Last {noun} of {adjective} {place}",
    "Notes on the {adjective} {noun} of {place}",
    "After the {noun}: {adjective} {place}",
)
# One word each, so that different choices always give different titles and authors.
ADJECTIVES = (
    "Silent", "Hidden", "Broken", "Golden", "Distant", "Forgotten", "Crimson", "Endless",
    "Quiet", "Burning", "Frozen", "Secret", "Wandering", "Restless", "Hollow", "Gentle",
    "Bitter", "Luminous", "Northern", "Midnight", "Paper", "Iron", "Velvet", "Scarlet",
    "Invisible", "Eternal", "Fragile", "Wild", "Lonely", "Sudden", "Ancient", "Electric",
    "Careful", "Borrowed", "Sleeping", "Shattered", "Radiant", "Patient", "Curious", "Salt",
    "Hungry", "Painted", "Drowned", "Stolen", "Unfinished", "Stubborn", "Tender", "Savage",
)  # fmt: skip
NOUNS = (
    "River", "Garden", "Lighthouse", "Cartographer", "Orchard", "Archive", "Machine",
    "Kingdom", "Letter", "Mirror", "Harbor", "Library", "Forest", "Algorithm", "Ledger",
    "Compass", "Bridge", "Clockmaker", "Lantern", "Daughter", "Stranger", "Empire", "Signal",
    "Protocol", "Engine", "Island", "Promise", "Voyage", "Tower", "Database", "Pipeline",
    "Cluster", "Partition", "Observatory", "Physician", "Navigator", "Beekeeper", "Chronicle",
    "Atlas", "Violin", "Carnival", "Monastery", "Telegraph", "Glacier", "Meridian", "Cathedral",
    "Mathematician", "Weaver", "Sailor", "Alchemist", "Heiress", "Detective", "Orphan",
    "Émigré", "Señorita", "Fjord", "Café", "Keeper", "Gardener", "Astronomer", "Courier",
    "Translator", "Witness", "Architect",
)  # fmt: skip
PLACES = (
    "Winter", "Memory", "Glass", "Kyoto", "Lisbon", "Reykjavík", "Ærø", "Córdoba", "Kraków",
    "Zürich", "Tromsø", "Dawn", "Silence", "Tomorrow", "Summer", "Exile", "Ashes", "Thunder",
    "Smoke", "Autumn", "Marrakesh", "Valparaíso", "Québec", "Göteborg", "Oaxaca", "Avalon",
    "Babel", "Eden", "Atlantis", "Nowhere", "Yesterday", "Istanbul", "Montréal", "Bergen",
    "Salzburg", "Jaipur", "Lagos", "Hokkaidō", "Patagonia", "Samarkand", "Trieste", "Nairobi",
    "Tallinn", "Sevilla", "Dubrovnik", "Mañana", "Saudade", "Fernweh",
)  # fmt: skip
FIRST_NAMES = (
    "Ada", "Ingrid", "José", "Zoë", "Søren", "Björn", "Chloé", "Łukasz", "Amara", "Hiroshi",
    "Priya", "Mateo", "Olga", "Kwame", "Léa", "Jürgen", "Aoife", "Tomás", "Yuki", "Farid",
    "Nadia", "Emil", "Signe", "Ravi", "Camille", "Dmitri", "Elif", "Mei", "Oskar", "Beatriz",
    "Thandiwe", "Henrik", "Ana", "Sebastián", "Inês", "Kofi", "Lars", "Noor", "Pavel", "Rosa",
    "Malak", "Théo", "Wanjiru", "Agnieszka", "Felix", "Hana", "Idris", "Marguerite",
)  # fmt: skip
LAST_NAMES = (
    "Andersen", "Müller", "García", "Dvořák", "Nakamura", "O'Brien", "Okafor", "Kowalski",
    "Haddad", "Lindqvist", "Moreau", "Rossi", "Nguyễn", "Novák", "Fernández", "Sørensen",
    "Øster", "Ødegård", "Björklund", "Öztürk", "Papadopoulos", "Ivanova", "Kim", "Tanaka",
    "Mensah", "Schreiber", "Delacroix", "Castellanos", "Eriksson", "Horváth", "Petrović",
    "Abara", "Brennan", "Carvalho", "Dubois", "Esposito", "Fischer", "Gallagher", "Hoffmann",
    "Jansen", "Kaur", "Lefèvre", "Mbeki", "Nowak", "Ortega", "Pérez", "Quinn", "Rahman",
    "Silva", "Takahashi", "Umarov", "Virtanen", "Weiß", "Xu", "Yamamoto", "Zieliński",
    "Åberg", "Ólafsdóttir", "Çelik", "Kovačević", "Marchetti", "Sato", "Holm", "Achebe",
)  # fmt: skip
GENRES = (
    "novel", "memoir", "history", "thriller", "field guide", "essay collection", "saga",
    "handbook", "fable", "biography", "travelogue", "mystery", "textbook", "love story",
)  # fmt: skip
THEMES = (
    "grief", "friendship", "distributed systems", "migration", "the sea", "family secrets",
    "artificial intelligence", "climate", "jazz", "chess", "revolution", "mathematics",
    "cooking", "data engineering", "first love", "exile", "architecture", "astronomy",
    "stream processing", "old age", "war", "music", "forgiveness", "gardening", "trains",
)  # fmt: skip
SENTENCES = (
    "This {adjective} {genre} is about {theme}.",
    "{first} follows the {noun} from {place} to {place2}.",
    "Set in {place}, it asks what the {noun} owes to {theme}.",
    "Praised for its {adjective} prose and its {adjective2} ending.",
    "Includes notes on {theme} and {theme2}.",
    "Told by the {noun} who cannot forget {place}, it is a story of {theme}.",
)
# The choices a book's title and author are made of; every combination is a different
# (title, author).
CHOICES: tuple[tuple[str, ...], ...] = (
    TITLE_PATTERNS,
    ADJECTIVES,
    NOUNS,
    PLACES,
    FIRST_NAMES,
    LAST_NAMES,
)
COMBINATIONS = prod(len(options) for options in CHOICES)
# Multiplying by a step coprime with COMBINATIONS numbers every combination once; a step near
# the golden ratio puts consecutive books far apart, so neighbours rarely share words.
STEP = next(
    n for n in range(int(COMBINATIONS * 0.618034), COMBINATIONS) if gcd(n, COMBINATIONS) == 1
)


def generate_books(
    *,
    count: int,
    seed: int = 0,
    batch_size: int = BATCH_SIZE,
    on_progress: Progress = lambda books: None,
) -> LoadReport:
    """Add the first `count` books of the synthetic catalogue `seed` (0 to MAX_SEED) that the
    catalogue lacks; `on_progress` gets the books handled since its previous call."""
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"The seed must be between 0 and {MAX_SEED}, not {seed}.")
    if not 0 <= count <= MAX_BOOKS_PER_SEED:
        raise ValueError(f"The count must be between 0 and {MAX_BOOKS_PER_SEED:,}, not {count:,}.")
    report = LoadReport()
    for start in range(0, count, batch_size):
        batch = [
            synthetic_book(seed=seed, index=i) for i in range(start, min(count, start + batch_size))
        ]
        _store(batch, report)
        on_progress(len(batch))
    return report


def synthetic_book(*, seed: int, index: int) -> Book:
    """Book number `index` of the synthetic catalogue `seed`: always the same book, and never
    one with the ISBN or the (title, author) of another book of any seed."""
    number = seed * MAX_BOOKS_PER_SEED + index
    words = _combination((number * STEP) % COMBINATIONS)
    pattern, adjective, noun, place, first, last = words
    rng = random.Random(number)
    fill = {
        "adjective": adjective.lower(),
        "adjective2": rng.choice(ADJECTIVES).lower(),
        "noun": noun.lower(),
        "place": place,
        "place2": rng.choice(PLACES),
        "first": rng.choice(FIRST_NAMES),
        "genre": rng.choice(GENRES),
        "theme": rng.choice(THEMES),
        "theme2": rng.choice(THEMES),
    }
    # Recent years are likelier, as in a real bookshop.
    year = max(1800, 2025 - int(rng.expovariate(1 / 30)))
    return Book(
        title=pattern.format(adjective=adjective, noun=noun, place=place),
        author=f"{first} {last}",
        published_at=datetime.date(year, rng.randint(1, 12), rng.randint(1, 28)),
        description=" ".join(s.format(**fill) for s in rng.sample(SENTENCES, rng.randint(2, 3))),
        isbn=isbn13(f"979{number:09d}"),
    )


def _combination(number: int) -> list[str]:
    """The choices numbered `number` (0 <= number < COMBINATIONS), one per list of CHOICES."""
    words = []
    for options in CHOICES:
        number, digit = divmod(number, len(options))
        # Offsetting each choice by a hash of the ones after it keeps neighbours from stepping
        # through a list in lockstep, and stays one-to-one: those later choices are fixed first.
        words.append(options[(digit + _mix(number)) % len(options)])
    return words


def _mix(number: int) -> int:
    """SplitMix64's finaliser: a cheap hash of `number`, every bit depending on every bit."""
    number = (number ^ (number >> 30)) * 0xBF58476D1CE4E5B9 % 2**64
    number = (number ^ (number >> 27)) * 0x94D049BB133111EB % 2**64
    return number ^ (number >> 31)


def isbn13(first_twelve: str) -> str:
    """The ISBN-13 made of these twelve digits and the check digit validate_isbn13 expects."""
    return first_twelve + isbn13_check_digit(first_twelve)
