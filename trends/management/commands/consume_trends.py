from events.management.consumer_command import ConsumerCommand
from trends.handlers import CONSUMER_GROUP, HANDLERS


class Command(ConsumerCommand):
    help = (
        "Count searches into trends and book views into Most viewed, and follow book changes "
        "(group trend-svr). Stops on SIGTERM."
    )
    group_id = CONSUMER_GROUP
    handlers = HANDLERS
