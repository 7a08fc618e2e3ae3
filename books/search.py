"""MySQL/MariaDB FULLTEXT search: turning what a visitor typed into a safe boolean-mode query,
and the MATCH … AGAINST expression that runs it against the `book_fulltext_idx` index."""

import re
import unicodedata
from typing import NoReturn

from django.db import NotSupportedError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F, FloatField, Func
from django.db.models.sql.compiler import SQLCompiler

# The columns of the FULLTEXT index added by migration 0002; MATCH must name exactly these.
FULLTEXT_COLUMNS = ("title", "author", "description")

# InnoDB's defaults (innodb_ft_min_token_size, innodb_ft_max_token_size and
# INFORMATION_SCHEMA.INNODB_FT_DEFAULT_STOPWORD); MySQL 8 and MariaDB share them, and
# tests/test_fulltext_search.py checks them against the running server. Words outside the
# index are not just useless in a MATCH: a required stopword ("+the") matches no row at all.
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


def is_indexed(word: str) -> bool:
    """Whether InnoDB puts this word in a FULLTEXT index, so that MATCH can find it."""
    return MIN_WORD_LENGTH <= len(word) <= MAX_WORD_LENGTH and word.lower() not in STOPWORDS


def boolean_mode_query(text: str) -> str:
    """The boolean-mode query requiring every indexed word of `text`, e.g.
    "Kafka on the sho" -> "+Kafka +sho*"; "" when no word of it is in the index.

    The last word gets a prefix `*` only when it is the last thing typed, because that one may
    be unfinished; words the index lacks are left out rather than failing the whole query.
    """
    # NFC, because a decomposed "ñ" (n + combining tilde) would otherwise split the word.
    words = WORD.findall(unicodedata.normalize("NFC", text))
    terms = [f"+{word}" for word in words if is_indexed(word)]
    if terms and is_indexed(words[-1]):
        terms[-1] += "*"
    return " ".join(terms)


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
