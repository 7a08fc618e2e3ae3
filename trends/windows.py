"""The UTC hours trends are counted in, and the windows that sum them."""

import datetime
from typing import Literal

Window = Literal["hour", "day", "week", "all"]
DEFAULT_WINDOW: Window = "day"

# How far back each window reaches; "all" sums every hour (the seed's all-time count).
_LENGTHS: dict[Window, datetime.timedelta] = {
    "hour": datetime.timedelta(hours=1),
    "day": datetime.timedelta(days=1),
    "week": datetime.timedelta(days=7),
}

HEADINGS: dict[Window, str] = {
    "hour": "Trending this hour",
    "day": "Trending today",
    "week": "Trending this week",
    "all": "Trending of all time",
}


def start_of_hour(time: datetime.datetime) -> datetime.datetime:
    """The UTC hour `time` falls in: a visitor counts once per query in each."""
    return time.astimezone(datetime.UTC).replace(minute=0, second=0, microsecond=0)


def window_start(window: Window, *, now: datetime.datetime) -> datetime.datetime | None:
    """The first hour the window counts, None for all time. The hour `now - length` falls in
    is counted whole, so that a window is never shorter than its name says: "hour" just after
    the hour turned still holds the last hour's searches."""
    if window == "all":
        return None
    return start_of_hour(now - _LENGTHS[window])
