"""What the `rec-svr` consumer group applies, by event type; other types it skips."""

from catalogue.services import record_book_changes
from events.consuming.groups import ConsumerGroup, ReadModel, register
from events.types.book_changes import BOOK_CHANGED, BOOK_REMOVED
from events.types.book_viewed import BOOK_VIEWED
from events.types.search_performed import SEARCH_PERFORMED
from recommendations.models import CoOccurrence, Interest, OpenedBook
from recommendations.services import add_interests, record_opened

CONSUMER_GROUP = "rec-svr"

HANDLERS = {
    SEARCH_PERFORMED: add_interests,
    BOOK_VIEWED: record_opened,
    BOOK_CHANGED: record_book_changes,
    BOOK_REMOVED: record_book_changes,
}

GROUP = register(
    ConsumerGroup(
        group_id=CONSUMER_GROUP,
        handlers=HANDLERS,
        read_models=(
            ReadModel(
                name="recommendations",
                models=(Interest, OpenedBook, CoOccurrence),
                handlers={SEARCH_PERFORMED: add_interests, BOOK_VIEWED: record_opened},
            ),
        ),
    )
)
