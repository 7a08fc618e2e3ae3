"""Marking the words of a search in the text of its results, safely.

The text is the catalogue's and the query the visitor's, so both are escaped; only the <mark>
elements added here are markup. The words are found the way the search finds them: whole words,
case-insensitively, the last one as a prefix (it may be unfinished), and a word of a script
written without spaces (Chinese, Japanese: books.search.NO_SPACE_RUN) as a substring anywhere.
"""

import re
import unicodedata

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from books.search import NO_SPACE_RUN, STOPWORDS, WORD

# How far before the first match an excerpt starts, so the match is read in its sentence.
_LEAD = 60
ELLIPSIS = "\N{HORIZONTAL ELLIPSIS}"


def query_pattern(query: str) -> re.Pattern[str] | None:
    """A pattern for the words of `query` as the search matches them; None when it has none
    worth marking (stopwords are marked only when the query is nothing else)."""
    words = WORD.findall(unicodedata.normalize("NFC", query))
    if not words:
        return None
    last = len(words) - 1
    kept = [(i, w) for i, w in enumerate(words) if w.lower() not in STOPWORDS] or list(
        enumerate(words)
    )
    terms = set()
    for i, word in kept:
        # The search's own idea of such scripts, so that what is marked is what it matched.
        if NO_SPACE_RUN.search(word):
            terms.add(re.escape(word))
        else:
            terms.add(rf"\b{re.escape(word)}" + (r"\w*" if i == last else r"\b"))
    # Longest first, so that "kafka" wins over a prefix "ka" at the same place.
    return re.compile("|".join(sorted(terms, key=len, reverse=True)), re.IGNORECASE)


def excerpt(text: str, pattern: re.Pattern[str] | None, length: int) -> str:
    """About `length` characters of `text`, starting a little before the first match when that
    would be cut off, with an ellipsis where text was left out."""
    if len(text) <= length:
        return text
    found = pattern.search(text) if pattern else None
    start = 0
    if found and found.end() > length:
        start = max(found.start() - _LEAD, 0)
        # After a space close before, so as not to start mid-word where words have spaces.
        space = text.rfind(" ", max(start - 20, 0), start)
        start = space + 1 if space >= 0 else start
    cut = text[start : start + length]
    if start + length < len(text):
        space = cut.rfind(" ")
        cut = (cut[:space] if space > length // 2 else cut).rstrip(" ,;:.") + ELLIPSIS
    return (ELLIPSIS if start else "") + cut


def highlight(text: str, query: str, *, length: int | None = None) -> SafeString:
    """`text` escaped, with every match of `query`'s words in <mark>; cut to an excerpt of
    about `length` characters around the first match when given."""
    pattern = query_pattern(query)
    if length is not None:
        text = excerpt(text, pattern, length)
    if pattern is None:
        return escape(text)
    parts = []
    position = 0
    for found in pattern.finditer(text):
        if found.start() == found.end():
            continue
        parts.append(escape(text[position : found.start()]))
        parts.append(format_html("<mark>{}</mark>", found.group()))
        position = found.end()
    parts.append(escape(text[position:]))
    # Every part is escaped text or a format_html() of escaped text.
    return mark_safe("".join(parts))
