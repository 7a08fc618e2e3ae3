from django.apps import AppConfig


class RecommendationsConfig(AppConfig):
    name = "recommendations"
    verbose_name = "Recommendations"

    def ready(self) -> None:
        from privacy.signals import visitor_forgotten
        from recommendations import handlers  # noqa: F401  (registers the consumer group)
        from recommendations.receivers import forget_visitor

        visitor_forgotten.connect(forget_visitor, dispatch_uid="recommendations.forget_visitor")
