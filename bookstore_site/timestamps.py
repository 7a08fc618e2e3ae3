"""Times as the events and the API write them."""

import datetime
from typing import Literal


def rfc3339(moment: datetime.datetime, *, timespec: Literal["seconds", "auto"] = "auto") -> str:
    """`moment` as RFC 3339 in UTC with a "Z", e.g. 2026-12-03T07:44:56Z: what Go's time.Time
    (the seed's consumers), JavaScript and Python's fromisoformat() all read. "auto" keeps the
    microseconds when there are any."""
    utc = moment.astimezone(datetime.UTC)
    if timespec == "auto":
        timespec = "microseconds" if utc.microsecond else "seconds"
    return utc.isoformat(timespec=timespec).replace("+00:00", "Z")
