from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from books.generating import MAX_BOOKS_PER_SEED, MAX_SEED, generate_books
from books.loading import BATCH_SIZE


class Command(BaseCommand):
    help = (
        "Add a synthetic catalogue for trying the site at scale: realistic titles, authors and "
        "descriptions, each book with its own ISBN and its own title and author. The same seed "
        "always gives the same books, so running it again adds nothing, and a larger --count "
        "adds only the books that are missing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--count",
            type=int,
            required=True,
            help=f"How many books the catalogue of this seed has (at most {MAX_BOOKS_PER_SEED:,}).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=0,
            help=f"Which synthetic catalogue, 0 to {MAX_SEED} (default 0); seeds share no books.",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=BATCH_SIZE,
            help=f"Books per transaction (default {BATCH_SIZE}).",
        )

    def handle(self, *args, count: int, seed: int, batch_size: int, **options) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        with tqdm(total=count, unit=" books", desc="Generating") as bar:
            try:
                report = generate_books(
                    count=count, seed=seed, batch_size=batch_size, on_progress=bar.update
                )
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.added} books added, "
                f"{report.existing} already in the catalogue (seed {seed}, count {count})."
            )
        )
