from events.management.consumer_command import ConsumerCommand
from recommendations.services import CONSUMER_GROUP, apply_search_events


class Command(ConsumerCommand):
    help = "Turn searches from the topic into visitors' interests (group rec-svr)."
    group_id = CONSUMER_GROUP
    apply_batch = staticmethod(apply_search_events)
