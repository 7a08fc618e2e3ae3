"""Admin lists over tables of millions of rows: count only as far as anyone pages."""

from functools import cached_property

from django.core.paginator import Paginator

# 200 pages of 50 rows: past that, staff search or filter rather than page.
COUNT_CAP = 10_000


class CappedCountPaginator(Paginator):
    """A paginator that counts at most COUNT_CAP + 1 rows instead of the whole table.

    `SELECT COUNT(*)` over a million InnoDB rows reads them all on every page view; counting a
    LIMITed subquery reads no further than the cap. Beyond it the list says "10,000+" and
    offers the first COUNT_CAP rows' pages."""

    @cached_property
    def count(self) -> int:
        return min(self._counted, COUNT_CAP)

    @cached_property
    def is_capped(self) -> bool:
        return self._counted > COUNT_CAP

    @cached_property
    def _counted(self) -> int:
        return self.object_list[: COUNT_CAP + 1].count()
