"""A synthetic catalogue, the same on every machine (`manage.py generate_books`): for the
benchmark's million books and for trying the site with more than the sample books."""

import datetime
import random
from math import gcd, prod

from books.loading import BATCH_SIZE, LoadReport, Progress, store
from books.models import Book
from books.validators import isbn13_check_digit

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
# One book in ten also has a line in Chinese or Japanese, so that searches in scripts without
# spaces (books/search.py) have something to find at every catalogue size.
CJK_SHARE = 0.1
CJK_SENTENCES = ("一部关于{zh_theme}的{zh_genre}。", "{ja_theme}をめぐる{ja_genre}。")
ZH_THEMES = ("友情", "战争", "爱情", "家族", "科幻", "武侠", "历史", "音乐", "数学", "旅行")
ZH_GENRES = ("长篇小说", "三部曲", "短篇小说集", "散文集", "回忆录")
JA_THEMES = ("友情", "戦争", "恋愛", "家族", "東京", "京都", "音楽", "旅", "猫", "海")
JA_GENRES = ("長編小説", "三部作", "短編集", "随筆", "推理小説")
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
        store(batch, report)
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
    published_at = datetime.date(year, rng.randint(1, 12), rng.randint(1, 28))
    description = " ".join(s.format(**fill) for s in rng.sample(SENTENCES, rng.randint(2, 3)))
    # Drawn last, so that the books of earlier versions of this catalogue stay the same.
    if rng.random() < CJK_SHARE:
        description += " " + rng.choice(CJK_SENTENCES).format(
            zh_theme=rng.choice(ZH_THEMES),
            zh_genre=rng.choice(ZH_GENRES),
            ja_theme=rng.choice(JA_THEMES),
            ja_genre=rng.choice(JA_GENRES),
        )
    return Book(
        title=pattern.format(adjective=adjective, noun=noun, place=place),
        author=f"{first} {last}",
        published_at=published_at,
        description=description,
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
