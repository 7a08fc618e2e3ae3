"""What the `trend-svr` consumer group applies, by event type; other types it skips."""

from catalogue.services import record_book_changes
from events.consuming.groups import ConsumerGroup, ReadModel, register
from events.types.book_changes import BOOK_CHANGED, BOOK_REMOVED
from events.types.book_viewed import BOOK_VIEWED
from events.types.search_performed import SEARCH_PERFORMED
from trends.models import (
    BookViews,
    TrendHour,
    TrendingQuery,
    TrendVisitor,
    UnmetQuery,
    UnmetSearch,
)
from trends.services import count_searches, count_views

CONSUMER_GROUP = "trend-svr"

HANDLERS = {
    SEARCH_PERFORMED: count_searches,
    BOOK_VIEWED: count_views,
    BOOK_CHANGED: record_book_changes,
    BOOK_REMOVED: record_book_changes,
}

GROUP = register(
    ConsumerGroup(
        group_id=CONSUMER_GROUP,
        handlers=HANDLERS,
        read_models=(
            ReadModel(
                name="trends",
                models=(TrendingQuery, TrendHour, TrendVisitor, UnmetQuery, UnmetSearch),
                handlers={SEARCH_PERFORMED: count_searches},
            ),
            ReadModel(
                name="most_viewed",
                models=(BookViews,),
                handlers={BOOK_VIEWED: count_views},
            ),
        ),
    )
)
