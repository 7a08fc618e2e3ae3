from events.management.consumer_command import ConsumerCommand
from recommendations.handlers import CONSUMER_GROUP, HANDLERS


class Command(ConsumerCommand):
    help = (
        "Turn searches into visitors' interests, remember the books they opened, and follow "
        "book changes (group rec-svr). Stops on SIGTERM."
    )
    group_id = CONSUMER_GROUP
    handlers = HANDLERS
