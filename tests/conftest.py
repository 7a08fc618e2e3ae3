"""Fixtures shared by the suite. Tests run against the real MariaDB and Kafka that
`make services` starts; a missing service fails the run, it never skips tests."""

import datetime
import os
import shutil
import socket
import uuid
from collections.abc import Callable, Iterator

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError
from playwright.sync_api import Page, sync_playwright

from books.generating import generate_books
from books.models import Book
from events.consuming import Consumer, ConsumerStats
from events.kafka import ReplaceableProducer, new_admin
from events.relay import Relay
from events.types.search_performed import SEARCH_PERFORMED
from tests.private_services import PrivateServices


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
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, request) -> None:
    """A test database of this session's own: two suites running at once against the same
    MariaDB (another checkout, a second terminal) would otherwise drop each other's tables.
    With --reuse-db (`make mutation`) the name stays fixed, so that the next session finds it."""
    if request.config.getvalue("reuse_db"):
        return
    test_settings = settings.DATABASES["default"].setdefault("TEST", {})
    test_settings["NAME"] = f"test_{settings.DATABASES['default']['NAME']}_{os.getpid()}"


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
def catalogue(transactional_db, make_book) -> dict[str, Book]:
    """A small catalogue whose words overlap in title, author and description.

    Committed (`transactional_db`), because InnoDB's FULLTEXT index only sees committed rows."""
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


@pytest.fixture(scope="session")
def topic_prefix() -> str:
    """This session's own prefix for topic names, so that a suite running at the same time
    from another checkout keeps its topics. Every topic named so (and its DLQ) is deleted when
    the session ends, when Kafka answers."""
    prefix = f"test-{uuid.uuid4().hex[:8]}-"
    yield prefix
    try:
        admin = KafkaAdminClient(bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS)
    except KafkaError:
        return  # the session never reached Kafka, so it created no topics
    try:
        ours = [name for name in admin.list_topics() if name.startswith(prefix)]
        if ours:
            admin.delete_topics(ours)
    finally:
        admin.close()


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """The home page's boxes are cached for seconds per process: each test starts without."""
    cache.clear()


@pytest.fixture(autouse=True)
def _session_topics(settings, topic_prefix) -> None:
    """Every event type's topic is one of this session's, also where a test does not name
    one: a book written by a test publishes to a topic of its own, never to lr-book-changes."""
    settings.KAFKA_TOPIC = f"{topic_prefix}searches"
    settings.KAFKA_BOOK_CHANGES_TOPIC = f"{topic_prefix}book-changes"
    settings.KAFKA_BOOK_VIEWS_TOPIC = f"{topic_prefix}book-views"


@pytest.fixture(scope="session")
def new_topic_name(kafka_bootstrap, topic_prefix) -> Callable[[], str]:
    """Names for the topics tests create on the shared broker, deleted when the session ends."""
    return lambda: f"{topic_prefix}{uuid.uuid4().hex[:8]}"


def create_topics(kafka_bootstrap: list[str], names: list[str]) -> None:
    """Each of `names` and its dead-letter topic, 3 partitions."""
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    admin.create_topics(
        [
            NewTopic(topic, num_partitions=3, replication_factor=1)
            for name in names
            for topic in (name, f"{name}.dlq")
        ]
    )
    admin.close()


@pytest.fixture
def topic(kafka_bootstrap, new_topic_name, settings) -> str:
    """A fresh topic (and its dead-letter topic) for one test, set as KAFKA_TOPIC."""
    name = new_topic_name()
    create_topics(kafka_bootstrap, [name])
    settings.KAFKA_TOPIC = name
    return name


@pytest.fixture
def event_topics(topic, kafka_bootstrap, new_topic_name, settings) -> dict[str, str]:
    """`topic`, and fresh topics (with their DLQs) for book changes and book views: every
    registered type's topic is the test's own, by setting name.

    Ask for it before `catalogue`: the catalogue's book.added rows take their topic from the
    settings when they are written, and a consumer of the test's topics must find exactly the
    test's messages there."""
    books = {
        setting: new_topic_name()
        for setting in ("KAFKA_BOOK_CHANGES_TOPIC", "KAFKA_BOOK_VIEWS_TOPIC")
    }
    create_topics(kafka_bootstrap, list(books.values()))
    for setting, name in books.items():
        setattr(settings, setting, name)
    return {"KAFKA_TOPIC": topic, **books}


@pytest.fixture
def relay(kafka_bootstrap) -> Relay:
    """An in-process relay publishing the outbox to the test's KAFKA_TOPIC rows."""
    producer = ReplaceableProducer()
    yield Relay(producer)
    producer.close(timeout=5)


@pytest.fixture
def manage_py_env(transactional_db, settings) -> Callable[..., dict[str, str]]:
    """Environment for a `manage.py` subprocess that sees the test database and topic."""
    db = settings.DATABASES["default"]

    def make(**overrides: str) -> dict[str, str]:
        url = f"mysql://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        return {
            **os.environ,
            "DATABASE_URL": url,
            "KAFKA_TOPIC": settings.KAFKA_TOPIC,
            "KAFKA_BOOK_CHANGES_TOPIC": settings.KAFKA_BOOK_CHANGES_TOPIC,
            "KAFKA_BOOK_VIEWS_TOPIC": settings.KAFKA_BOOK_VIEWS_TOPIC,
            "KAFKA_BOOTSTRAP_SERVERS": ",".join(settings.KAFKA_BOOTSTRAP_SERVERS),
            **overrides,
        }

    return make


@pytest.fixture
def consume(topic) -> Callable[..., ConsumerStats]:
    """Run a consumer of the test topic in its own group until `count` records were handled."""
    group = f"test-group-{uuid.uuid4().hex[:8]}"

    def run(apply_batch, count: int, *, group_id: str = group) -> ConsumerStats:
        consumer = Consumer(group_id=group_id, handlers={SEARCH_PERFORMED: apply_batch})
        try:
            return consumer.run(max_messages=count, idle_timeout=30)
        finally:
            consumer.close()

    return run


@pytest.fixture
def search_catalogue(catalogue, make_book) -> dict[str, Book]:
    """`catalogue`, books in other languages and with very short words, and 300 synthetic
    books (seed 7) around them; committed like `catalogue`, so FULLTEXT searches see them all."""
    generate_books(count=300, seed=7)
    return {
        **catalogue,
        "anos": make_book(
            title="Cien años de soledad",
            author="Gabriel García Márquez",
            published_at=datetime.date(1967, 5, 30),
            description="Seven generations of the Buendía family in Macondo.",
        ),
        "aero": make_book(
            title="Ærø: An Island Year",
            author="Kirsten Hvid",
            published_at=datetime.date(2011, 6, 1),
            description="Ferries, fields and winter storms south of Fyn.",
        ),
        "prozess": make_book(
            title="Der Prozeß",
            author="Franz Kafka",
            published_at=datetime.date(1925, 1, 1),
            description="Josef K. wird eines Morgens verhaftet.",
        ),
        "go": make_book(
            title="The Go Programming Language",
            author="Alan Donovan",
            published_at=datetime.date(2015, 10, 26),
            description="Go, from the basics to concurrency.",
        ),
        "oreilly": make_book(
            title="Tim O'Reilly's Field Notes",
            author="Tim O'Reilly",
            published_at=datetime.date(2017, 10, 10),
            description="What's the future, and why it's up to us.",
        ),
    }


@pytest.fixture
def private_kafka(tmp_path, settings) -> PrivateServices:
    """A single-node broker of the test's own, to kill and restart, set as the test's Kafka
    with a fresh topic (`private_kafka.topic`); the shared broker is never touched."""
    services = PrivateServices(tmp_path / "services")
    services.run("start", "kafka")
    try:
        settings.KAFKA_BOOTSTRAP_SERVERS = services.bootstrap_servers
        settings.KAFKA_TOPIC = services.topic = "test-outage"
        admin = new_admin()
        admin.create_topics([NewTopic(services.topic, num_partitions=3, replication_factor=1)])
        admin.close()
        yield services
    finally:
        services.stop_all()
        shutil.rmtree(tmp_path / "services", ignore_errors=True)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def page(live_server, monkeypatch) -> Iterator[Page]:
    """A page of headless Chromium (Debian's), for tests/test_browser.py and the screenshots."""
    assert os.path.exists(CHROMIUM), "Chromium is missing: apt-get install chromium"
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # between browser steps are still plain synchronous ones.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page()
        page.set_default_timeout(15000)
        yield page
        browser.close()
