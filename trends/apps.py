from django.apps import AppConfig


class TrendsConfig(AppConfig):
    name = "trends"
    verbose_name = "Trending searches"

    def ready(self) -> None:
        from trends import handlers  # noqa: F401  (registers the consumer group)
