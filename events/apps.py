from django.apps import AppConfig
from django.core import checks


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Events"

    def ready(self) -> None:
        from events import checks as event_checks
        from events import types  # noqa: F401  (registers the event types)
        from events.receivers import connect_event_types

        connect_event_types()
        checks.register(event_checks.check_kafka_settings)
        checks.register(event_checks.check_event_types)
        checks.register(event_checks.check_outbox_backlog, checks.Tags.database)
