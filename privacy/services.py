from django.db import transaction

from privacy.models import ForgottenVisitor
from privacy.signals import visitor_forgotten


def forget_visitor(*, visitor_id: str) -> None:
    """Erase what the read models keep about `visitor_id` and keep them from learning it again:
    the visitor then gets a new id (the caller issues the new cookie). Idempotent, so that a
    failed erasure is finished by pressing the button again.

    The id is recorded, and committed, before the read models erase, which narrows the race
    with a consumer batch in flight: a batch that checks after that commit skips the visitor,
    and one that checked before and wrote before the erasure has its rows erased (committed,
    or by the erasure waiting on their locks)."""
    ForgottenVisitor.objects.get_or_create(visitor_id=visitor_id)
    with transaction.atomic():
        visitor_forgotten.send(sender=ForgottenVisitor, visitor_id=visitor_id)
