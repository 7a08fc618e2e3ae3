"""Fixtures shared by the suite. Tests run against the real MariaDB and Kafka that
`make services` starts; a missing service fails the run, it never skips tests."""

import datetime
import socket
from collections.abc import Callable

import pytest
from django.conf import settings
from django.db import connection

from books.models import Book


@pytest.fixture(scope="session", autouse=True)
def _require_mysql(django_db_blocker) -> None:
    with django_db_blocker.unblock():
        if connection.vendor != "mysql":
            pytest.exit(
                f"The tests need MariaDB/MySQL, but DATABASE_URL points at {connection.vendor}. "
                "Run `make test`, which starts MariaDB and sets DATABASE_URL.",
                returncode=3,
            )


@pytest.fixture(scope="session")
def kafka_bootstrap() -> list[str]:
    """The broker's addresses, after checking it answers; fails (never skips) when it is down."""
    servers = settings.KAFKA_BOOTSTRAP_SERVERS
    host, _, port = servers[0].rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as exc:
        pytest.fail(f"Kafka is not reachable at {servers}: {exc}. Run `make services` first.")
    return servers


@pytest.fixture
def make_book(db) -> Callable[..., Book]:
    def make(**fields) -> Book:
        fields.setdefault("title", "Untitled")
        fields.setdefault("author", "Anonymous")
        fields.setdefault("published_at", datetime.date(2000, 1, 1))
        return Book.objects.create(**fields)

    return make


@pytest.fixture
def catalogue(make_book) -> dict[str, Book]:
    """A small catalogue whose words overlap in title, author and description."""
    return {
        "kafka_guide": make_book(
            title="Kafka: The Definitive Guide",
            author="Gwen Shapira",
            published_at=datetime.date(2017, 7, 7),
            description="Real-time data and stream processing at scale.",
        ),
        "trial": make_book(
            title="Der Prozess",
            author="Franz Kafka",
            published_at=datetime.date(1925, 4, 26),
            description="A bank clerk is arrested for an unnamed crime.",
        ),
        "shore": make_book(
            title="Kafka on the Shore",
            author="Haruki Murakami",
            published_at=datetime.date(2002, 9, 12),
            description="A runaway boy and an old man who talks to cats.",
        ),
        "ddia": make_book(
            title="Designing Data-Intensive Applications",
            author="Martin Kleppmann",
            published_at=datetime.date(2017, 3, 16),
            description="Logs such as Kafka, databases and the ideas behind them.",
        ),
        "emma": make_book(
            title="Emma",
            author="Jane Austen",
            published_at=datetime.date(1815, 12, 23),
            description="A young matchmaker misjudges her friends.",
        ),
    }
