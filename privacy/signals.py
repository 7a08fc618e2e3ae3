from django.dispatch import Signal

visitor_forgotten = Signal()
"""Sent once a visitor is recorded as forgotten (privacy.selectors.forgotten_visitors already
answers it), inside one transaction for all receivers: each read model that keeps rows per
visitor erases them, all or none. Sent again, with the same id, when the visitor presses
"Forget me" again, so a receiver must not expect rows to be there.

Arguments:
    visitor_id (str): the `uid` cookie value being forgotten.
"""
