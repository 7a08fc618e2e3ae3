"""Searching on SQLite in the test suite: its second database, "sqlite" (tests/settings.py),
with the same migrations as MariaDB's, FTS5 table and triggers included."""

from django.db.models import Model
from django.test import override_settings

SQLITE = "sqlite"


class _Everything:
    """A database router sending every read and write to one database."""

    def __init__(self, alias: str) -> None:
        self.alias = alias

    def db_for_read(self, model: type[Model], **hints: object) -> str:
        return self.alias

    def db_for_write(self, model: type[Model], **hints: object) -> str:
        return self.alias


def on_database(alias: str) -> override_settings:
    """Meanwhile, every query of the site (the search, Book.objects…) runs on `alias`.
    Tests using it ask for both databases: django_db(databases=["default", "sqlite"])."""
    return override_settings(DATABASE_ROUTERS=[_Everything(alias)])
