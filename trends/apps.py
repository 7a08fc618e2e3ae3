from django.apps import AppConfig


class TrendsConfig(AppConfig):
    name = "trends"
    verbose_name = "Trending searches"

    def ready(self) -> None:
        from privacy.signals import visitor_forgotten
        from trends import handlers  # noqa: F401  (registers the consumer group)
        from trends.receivers import forget_visitor

        visitor_forgotten.connect(forget_visitor, dispatch_uid="trends.forget_visitor")
