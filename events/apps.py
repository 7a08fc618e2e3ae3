from django.apps import AppConfig
from django.core import checks


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Events"

    def ready(self) -> None:
        from bookstore_site import tracing
        from bookstore_site.metrics import add_scrape_time_collector
        from events import checks as event_checks
        from events import types  # noqa: F401  (registers the event types)
        from events.metrics import BacklogCollector
        from events.receivers import connect_event_types

        # Before any WSGI handler loads the middleware, which tracing may add to.
        tracing.configure()
        connect_event_types()
        add_scrape_time_collector(BacklogCollector())
        checks.register(event_checks.check_kafka_settings)
        checks.register(event_checks.check_event_types)
        checks.register(event_checks.check_outbox_backlog, checks.Tags.database)
