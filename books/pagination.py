"""The numbered pager under a search's results."""

import math
from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse

from books.selectors import BookPage

# Pages linked on each side of the current one; the first and last are always linked.
NEARBY = 2


@dataclass(frozen=True)
class Pager:
    number: int
    # The last page known to hold books: all of them, or the last counted ("40+") when
    # `total_is_lower_bound`.
    last: int
    last_is_lower_bound: bool

    @classmethod
    def of(cls, page: BookPage) -> "Pager":
        return cls(
            number=page.offset // page.limit + 1,
            last=max(math.ceil(page.total / page.limit), 1),
            last_is_lower_bound=page.total_is_lower_bound,
        )

    @property
    def links(self) -> list[int | None]:
        """The page numbers to link, in order, with None where a run of pages is left out:
        e.g. [1, None, 4, 5, 6, 7, 8, None, 12] around page 6 of 12."""
        shown = {1, self.last, *range(self.number - NEARBY, self.number + NEARBY + 1)}
        numbers = sorted(n for n in shown if 1 <= n <= self.last)
        links: list[int | None] = []
        for previous, number in zip([0, *numbers], numbers, strict=False):
            if number - previous == 2:
                links.append(number - 1)  # a gap of one page: link it rather than "…"
            elif number - previous > 2:
                links.append(None)
            links.append(number)
        return links


def results_query(*, query: str, page: int = 1) -> str:
    """The query string of a page of the search for `query`: "q=kafka&page=2"; the first page
    has no page number, and the newest books no query."""
    params = {"q": query} if query else {}
    if page > 1:
        params["page"] = page
    return urlencode(params)


def results_url(*, query: str, page: int = 1) -> str:
    """The address of a page of the search for `query`."""
    params = results_query(query=query, page=page)
    return reverse("books:search") + (f"?{params}" if params else "")
