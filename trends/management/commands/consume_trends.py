from events.management.consumer_command import ConsumerCommand
from trends.services import CONSUMER_GROUP, apply_search_events


class Command(ConsumerCommand):
    help = "Count searches from the topic into trends (group trend-svr). Stops on SIGTERM."
    group_id = CONSUMER_GROUP
    apply_batch = staticmethod(apply_search_events)
