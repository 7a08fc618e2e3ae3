from django.db import transaction

from privacy.models import ForgottenVisitor
from privacy.signals import visitor_forgotten


def forget_visitor(*, visitor_id: str) -> None:
    """Erase what the read models keep about `visitor_id` and keep them from learning it again:
    the visitor then gets a new id (the caller issues the new cookie)."""
    with transaction.atomic():
        ForgottenVisitor.objects.get_or_create(visitor_id=visitor_id)
        visitor_forgotten.send(sender=ForgottenVisitor, visitor_id=visitor_id)
