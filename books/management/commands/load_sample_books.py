import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from books.services import upsert_sample_books

SAMPLE_FILE = Path(__file__).resolve().parents[2] / "data" / "sample_books.json"


class Command(BaseCommand):
    help = "Load the shipped sample catalogue (about 180 real books). Safe to run again."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--file", type=Path, default=SAMPLE_FILE, help="A JSON array of books to load."
        )

    def handle(self, *args, file: Path, **options) -> None:
        try:
            entries = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise CommandError(f"Cannot read books from {file}: {exc}") from exc
        with transaction.atomic():
            created = upsert_sample_books(entries=entries)
        self.stdout.write(
            self.style.SUCCESS(
                f"{created} sample books added, {len(entries) - created} already present."
            )
        )
