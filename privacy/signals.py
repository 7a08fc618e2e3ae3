from django.dispatch import Signal

visitor_forgotten = Signal()
"""Sent inside the transaction that records a forgotten visitor; each read model that keeps
rows per visitor erases them.

Arguments:
    visitor_id (str): the `uid` cookie value being forgotten.
"""
