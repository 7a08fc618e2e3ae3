"""Importing books from a CSV or JSON Lines file (`manage.py import_books`)."""

import csv
import datetime
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TextIO

from django.core.exceptions import ValidationError

from books.loading import BATCH_SIZE, LoadReport, Progress, load
from books.models import Book

REQUIRED_COLUMNS = ("title", "author", "published_at")
OPTIONAL_COLUMNS = ("description", "isbn")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
IMPORT_SUFFIXES = (".csv", ".jsonl")
# Lines between two progress reports of an import: often enough for a bar, rare enough to be free.
PROGRESS_EVERY = 1000


class ImportFileError(Exception):
    """The file as a whole cannot be imported (unreadable, unknown format, wrong header)."""


DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
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
            load(_valid_books(records, report, on_progress), report, batch_size)
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
                values[name], values["published_precision"] = parse_published_at(text)
            except ValueError as exc:
                problems.append(str(exc))
        else:
            try:
                values[name] = model_field.clean(text, None)
            except ValidationError as exc:
                problems.append(f"{name} {_shorten(text)!r}: {' '.join(exc.messages)}")
    return "; ".join(problems) if problems else Book(**values)


def parse_published_at(text: str) -> tuple[datetime.date, Book.Precision]:
    """A publication date written as YYYY-MM-DD, YYYY-MM or YYYY, as the first day of that
    period and how much of it is known: "1951" -> (1951-01-01, year)."""
    match = DATE.fullmatch(text)
    if match:
        year, month, day = match.groups()
        precision = (
            Book.Precision.DAY if day else Book.Precision.MONTH if month else Book.Precision.YEAR
        )
        try:
            return datetime.date(int(year), int(month or 1), int(day or 1)), precision
        except ValueError:
            pass
    raise ValueError(
        f"published_at {_shorten(text)!r} is not a date (use YYYY-MM-DD, YYYY-MM or YYYY)"
    )


def _shorten(text: str, length: int = 40) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"
