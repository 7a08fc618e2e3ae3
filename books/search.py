"""Full-text search on both engines: what a visitor typed, turned into a safe query for
MySQL/MariaDB's FULLTEXT index (boolean mode, `book_fulltext_idx`) or SQLite's FTS5 table
(`books_book_fts`), with the same word rules, so that both find the same books.

Text without spaces (Chinese, Japanese) has no words to index: InnoDB's parser and FTS5's
unicode61 tokenizer both take a whole run of Han or kana as one token, so 三部曲 could never be
found inside 地球往事三部曲之一. MariaDB has no ngram parser (that is MySQL's), and FTS5's trigram
tokenizer cannot find the one- and two-character words most Chinese words are. So every book carries
`search_grams` (filled by Book.save() and bulk_create(), see books/models.py): for each run of
such text in its title, author and description, every character and every pair of neighbours,
written as ASCII tokens ("cjk" + 5 hex digits per code point, e.g. 三部 -> cjk04e0990e8) that
both engines index like any word (InnoDB's minimum token is 3 characters; these have 8 or 13).
The column is indexed with the others, so one index query serves mixed text ("dickens 三部曲").
A run in the query becomes its pairs (its character when it has one), all required: exact for
one or two characters; a longer run's pairs may sit apart, so those candidates, found through
the index, are kept only where the run really is a substring (books.selectors.best_matches).
Unigrams and bigrams cost a few tokens per character, far less than a trigram index, and answer
every query length.
"""

import re
import unicodedata
from dataclasses import dataclass
from typing import NoReturn

from django.db import NotSupportedError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F, FloatField, Func
from django.db.models.sql.compiler import SQLCompiler

# The columns of the FULLTEXT index (migration 0005); MATCH must name exactly these. The FTS5
# table indexes the same columns.
FULLTEXT_COLUMNS = ("title", "author", "description", "search_grams")
FTS5_TABLE = "books_book_fts"

# InnoDB's defaults (innodb_ft_min_token_size, innodb_ft_max_token_size and
# INFORMATION_SCHEMA.INNODB_FT_DEFAULT_STOPWORD); MySQL 8 and MariaDB share them, and
# tests/test_fulltext_search.py checks them against the running server. Words outside the
# index are not just useless in a MATCH: a required stopword ("+the") matches no row at all.
# FTS5 indexes every word, but leaving the same words out of its query finds the same books.
MIN_WORD_LENGTH = 3
MAX_WORD_LENGTH = 84
STOPWORDS = frozenset({
    "a", "about", "an", "are", "as", "at", "be", "by", "com", "de", "en", "for", "from", "how",
    "i", "in", "is", "it", "la", "of", "on", "or", "that", "the", "this", "to", "was", "what",
    "when", "where", "who", "will", "with", "und", "www",
})  # fmt: skip

# InnoDB splits text into runs of letters, digits and underscores, like \w. Taking only those
# runs from the visitor's text leaves no boolean-mode operator (+ - < > ( ) ~ * " @) to escape.
WORD = re.compile(r"\w+")
# Scripts written without spaces: the iteration marks 々〆〇, hiragana, katakana (with its
# phonetic extensions and half-width forms), and the CJK ideographs with their extensions.
NO_SPACE_RUN = re.compile(
    "[\u3005-\u3007\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f]+"
)


def is_indexed(word: str) -> bool:
    """Whether InnoDB puts this word in a FULLTEXT index, so that MATCH can find it."""
    return MIN_WORD_LENGTH <= len(word) <= MAX_WORD_LENGTH and word.lower() not in STOPWORDS


def gram_token(gram: str) -> str:
    """The index token standing for one or two characters of text without spaces."""
    return "cjk" + "".join(f"{ord(character):05x}" for character in gram)


def search_grams(*texts: str) -> str:
    """The `search_grams` of a book with these texts: each character and each pair of
    neighbours of their runs without spaces, as tokens, each once; "" for text with spaces."""
    tokens = {
        gram_token(run[start : start + size]): None
        for text in texts
        for run in NO_SPACE_RUN.findall(unicodedata.normalize("NFC", text))
        for size in (1, 2)
        for start in range(len(run) - size + 1)
    }
    return " ".join(tokens)


@dataclass(frozen=True)
class SearchQuery:
    """What a visitor typed, as index terms: `terms` are all required, the last one a prefix
    when `prefix`; `substrings` are runs without spaces whose terms only approximate them."""

    terms: tuple[str, ...]
    prefix: bool
    substrings: tuple[str, ...]


def parse_query(text: str) -> SearchQuery:
    """The index terms of `text`: its indexed words, and the grams of its runs without spaces.

    The last word is a prefix only when it is the last thing typed, because that one may be
    unfinished; words the index lacks are left out rather than failing the whole query.
    """
    # NFC, because a decomposed "ñ" (n + combining tilde) would otherwise split the word.
    pieces = [
        piece
        for word in WORD.findall(unicodedata.normalize("NFC", text))
        for piece in re.split(f"({NO_SPACE_RUN.pattern})", word)
        if piece
    ]
    terms: dict[str, None] = {}
    substrings = []
    for piece in pieces:
        if NO_SPACE_RUN.fullmatch(piece):
            size = min(len(piece), 2)
            for start in range(len(piece) - size + 1):
                terms[gram_token(piece[start : start + size])] = None
            if len(piece) > 2:
                substrings.append(piece)
        elif is_indexed(piece):
            terms[piece] = None
    last = pieces[-1] if pieces else ""
    prefix = not NO_SPACE_RUN.fullmatch(last) and is_indexed(last)
    if prefix:
        # Last again where it was also typed earlier ("shore kafka shore").
        terms.pop(last)
        terms[last] = None
    return SearchQuery(terms=tuple(terms), prefix=prefix, substrings=tuple(substrings))


def boolean_mode_query(text: str) -> str:
    """The boolean-mode query requiring every index term of `text`, e.g.
    "Kafka on the sho" -> "+Kafka +sho*"; "" when no word of it is in the index."""
    query = parse_query(text)
    return " ".join(f"+{term}" for term in query.terms) + ("*" if query.prefix else "")


def fts5_query(text: str) -> str:
    """The FTS5 query requiring every index term of `text` in any order, each quoted so that
    nothing typed is FTS5 syntax, e.g. "Kafka on the sho" -> '"Kafka" "sho"*'."""
    query = parse_query(text)
    quoted = " ".join('"{}"'.format(term.replace('"', '""')) for term in query.terms)
    return quoted + ("*" if query.prefix else "")


class Match(Func):
    """`MATCH (columns) AGAINST (query IN BOOLEAN MODE)`: a row's relevance, above 0 when it
    matches. MySQL/MariaDB only, and the columns must be exactly those of a FULLTEXT index.
    The query is sent as a parameter, never spliced into the SQL."""

    template = "MATCH (%(expressions)s) AGAINST (%%s IN BOOLEAN MODE)"
    output_field = FloatField()

    def __init__(self, *columns: str, against: str) -> None:
        super().__init__(*(F(column) for column in columns))
        self.against = against

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context
    ) -> NoReturn:
        raise NotSupportedError(
            f"MATCH … AGAINST needs MySQL or MariaDB, not {connection.vendor}; "
            "search with books.selectors.matching_books() there."
        )

    def as_mysql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context
    ) -> tuple[str, tuple]:
        sql, params = super().as_sql(compiler, connection, **extra_context)
        return sql, (*params, self.against)
