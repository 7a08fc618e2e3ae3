from django.db import models

from events.envelope import MAX_ID_LENGTH


class ForgottenVisitor(models.Model):
    """A visitor id whose owner pressed "Forget me". Not part of any read model: the events on
    the topics still carry the id, so the consumers' handlers skip it, also when a view is
    rebuilt from those events or when an event of the visitor's arrives after the erasure."""

    visitor_id = models.CharField(max_length=MAX_ID_LENGTH, unique=True)
    forgotten_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.visitor_id
