from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from books.importing import COLUMNS, ImportFileError, count_lines, import_books
from books.loading import BATCH_SIZE, MAX_LISTED_PROBLEMS


class Command(BaseCommand):
    help = (
        "Add the books of a .csv file (header row naming the columns) or a .jsonl file (one JSON "
        f"object per line), with the columns or keys {', '.join(COLUMNS)}; description and isbn "
        "are optional, published_at is YYYY-MM-DD or YYYY. Books whose ISBN or title and author "
        "are already in the catalogue are skipped, so running it again adds nothing. Malformed "
        "rows are listed by line number and the rest are still added."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path, help="The .csv or .jsonl file to import.")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=BATCH_SIZE,
            help=f"Books per transaction (default {BATCH_SIZE}).",
        )

    def handle(self, *args, file: Path, batch_size: int, **options) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if not file.is_file():
            raise CommandError(f"There is no file {file}.")
        with tqdm(total=count_lines(file), unit=" lines", desc=file.name) as bar:
            try:
                report = import_books(path=file, batch_size=batch_size, on_progress=bar.update)
            except ImportFileError as exc:
                raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.added} books added, {report.existing} skipped "
                f"as already in the catalogue, {report.rejected} rejected."
            )
        )
        if report.rejected:
            more = report.rejected - len(report.problems)
            raise CommandError(
                f"{report.rejected} rows were rejected"
                + (f" (the first {MAX_LISTED_PROBLEMS} are listed)" if more else "")
                + ":\n"
                + "\n".join(report.problems)
            )
