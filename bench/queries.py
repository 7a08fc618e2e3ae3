"""What the simulated visitors search for, and who they are.

The queries are what people type into a bookshop's search box, in the vocabulary of the
synthetic catalogue (`manage.py generate_books`): single words, two words, authors, themes,
unfinished words (the FULLTEXT path's prefix match), accents, odd case, a few misses, and some
second pages. Each has at least one word the FULLTEXT index holds; queries without one take the
LIKE path even on MariaDB and are measured separately (FALLBACK_QUERIES).
"""

import random
import uuid
from urllib.parse import urlencode

QUERIES: tuple[str, ...] = (
    "lighthouse",
    "silent river",
    "Lisbon",
    "cartographer",
    "distributed systems",
    "stream processing",
    "Müller",
    "Ingrid",
    "the forgotten garden",
    "kyoto",
    "Reykjavík",
    "Zürich",
    "jazz",
    "chess",
    "astronomer",
    "astron",
    "cartog",
    "midnight library",
    "velvet",
    "the clockmaker",
    "golden harbor",
    "Nakamura",
    "García",
    "first love",
    "artificial intelligence",
    "data engineering",
    "mathematics",
    "revolution",
    "Córdoba",
    "winter",
    "beekeeper",
    "Tanaka",
    "Hiroshi Yamamoto",
    "the last navigator",
    "frozen glacier",
    "secret archive",
    "memoir",
    "travelogue",
    "LIBRARY",
    "gardening",
    "trains",
    "Samarkand",
    "Valparaíso",
    "letters from",
    "broken compass",
    "quantum computing",  # no such books: a search that finds nothing
    "kafka streams",  # no such books
    "Sørensen",
    "Émigré",
    "observatory",
)
# The same searches' second pages, as when a visitor clicks "Next".
SECOND_PAGES: tuple[str, ...] = ("lighthouse", "winter", "jazz", "Müller", "memoir")

# Queries without a word the FULLTEXT index holds (too short, or stopwords only): on MariaDB
# they fall back to LIKE over the whole table (books.selectors.search_books).
FALLBACK_QUERIES: tuple[str, ...] = ("AI", "the", "of the", "to be", "go", "AI & ML")

# Chinese and Japanese, in the synthetic catalogue's vocabulary (books.generating): served by
# the FULLTEXT index through the books' character pairs; in the HTTP mix, and measured apart
# in process (p99 goal: 50 ms).
CJK_QUERIES: tuple[str, ...] = ("三部曲", "科幻", "推理小説", "東京", "猫", "长篇小说", "三部作")

PAGE_SIZE = 5


def api_paths() -> list[str]:
    """The search API's URLs for every query, Chinese and Japanese and second pages included,
    in a fixed mixed order."""
    paths = [f"/api/books?{urlencode({'q': q})}" for q in QUERIES + CJK_QUERIES]
    paths += [f"/api/books?{urlencode({'q': q, 'offset': PAGE_SIZE})}" for q in SECOND_PAGES]
    random.Random(1).shuffle(paths)
    return paths


def visitor_ids(count: int, *, seed: int = 1) -> list[str]:
    """Stable `uid` cookies (32 hex digits, as books.visitors issues them)."""
    rng = random.Random(seed)
    return [uuid.UUID(int=rng.getrandbits(128)).hex for _ in range(count)]
