"""Saving a consumer batch's changed rows in one statement."""

from collections.abc import Sequence

from django.db import connections
from django.db.models import Model


def bulk_overwrite(
    rows: Sequence[Model], *, unique_fields: list[str], update_fields: list[str]
) -> None:
    """Save `update_fields` of rows that already exist, in one statement.

    Django's bulk_update writes a CASE WHEN per row and field, which made it most of a
    consumer's time; an upsert (INSERT … ON DUPLICATE KEY UPDATE on MySQL, ON CONFLICT DO
    UPDATE on SQLite) that always hits the existing row does the same work in one pass.
    Callers lock the rows first (select_for_update), so the values written are final; new rows
    go through a plain bulk_create, which fails rather than overwrites if a concurrent
    consumer inserted the same row.
    """
    if not rows:
        return
    model = type(rows[0])
    features = connections[model.objects.db].features
    # MySQL's upsert fires on any unique key and Django refuses to be told which one.
    target = unique_fields if features.supports_update_conflicts_with_target else None
    model.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=target, update_fields=update_fields
    )
