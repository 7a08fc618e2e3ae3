from django.apps import AppConfig
from django.core import checks


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Search events"

    def ready(self) -> None:
        from books.signals import search_performed
        from events import checks as event_checks
        from events.receivers import on_search_performed

        search_performed.connect(on_search_performed, dispatch_uid="events.on_search_performed")
        checks.register(event_checks.check_kafka_settings)
        checks.register(event_checks.check_outbox_backlog, checks.Tags.database)
