"""Adding a consumer batch's counts to the read models' rows in one statement, new rows included:
a database helper of the read models (trends, recommendations, catalogue)."""

from collections.abc import Sequence

from django.db import connections
from django.db.models import Model

# Rows per INSERT where the database sets no limit on parameters: a few hundred kilobytes.
ROWS_PER_STATEMENT = 1000


def add_counts(
    rows: Sequence[Model],
    *,
    unique_fields: Sequence[str],
    count_field: str | None,
    time_field: str,
    latest_fields: Sequence[str],
) -> None:
    """Insert `rows`; where a row with the same `unique_fields` exists, add this row's
    `count_field` to it (if there is one) and, if this row's `time_field` is as new or newer,
    take its `latest_fields` and time. Rows of one key may come many times (one per event):
    they are merged first by the same rule, so the statement carries each key once.

    The addition happens in the database (INSERT … ON DUPLICATE KEY UPDATE, or ON CONFLICT …
    DO UPDATE on SQLite), so consumers of different partitions adding to the same row at once
    both count, without reading or locking it first. Django's bulk_create can only overwrite
    a conflicting row, not add to it.
    """
    rows = _merged(
        rows,
        unique_fields=unique_fields,
        count_field=count_field,
        time_field=time_field,
        latest_fields=latest_fields,
    )
    if not rows:
        return
    model = type(rows[0])
    connection = connections[model.objects.db]
    quote = connection.ops.quote_name
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    columns = {field.name: quote(field.column) for field in fields}
    alias = ""
    if connection.vendor != "mysql":
        incoming = "excluded.{}".format
        keys = ", ".join(columns[name] for name in unique_fields)
        on_conflict = f"ON CONFLICT ({keys}) DO UPDATE SET"
        later = "MAX({}, {})".format
        take_if_newer = "CASE WHEN {} >= {} THEN {} ELSE {} END".format
    else:
        on_conflict = "ON DUPLICATE KEY UPDATE"
        later = "GREATEST({}, {})".format
        take_if_newer = "IF({} >= {}, {}, {})".format
        # What Django's own upserts use: VALUES() is deprecated since MySQL 8.0.20.
        if connection.mysql_is_mariadb:
            incoming = "VALUE({})".format
        else:
            alias, incoming = "AS incoming ", "incoming.{}".format
    time_column = columns[time_field]
    updates = [
        f"{columns[name]} = "
        + take_if_newer(incoming(time_column), time_column, incoming(columns[name]), columns[name])
        for name in latest_fields
    ]
    updates.append(f"{time_column} = {later(time_column, incoming(time_column))}")
    if count_field is not None:
        count_column = columns[count_field]
        updates.append(f"{count_column} = {count_column} + {incoming(count_column)}")
    row_sql = f"({', '.join(['%s'] * len(fields))})"
    # Every consumer writes rows in the same order, so that two of them rarely wait on each
    # other's locks in a cycle (a deadlock is retried like any transient error).
    ordered = sorted(rows, key=lambda row: [getattr(row, name) for name in unique_fields])
    max_params = connection.features.max_query_params
    chunk = max_params // len(fields) if max_params else ROWS_PER_STATEMENT
    with connection.cursor() as cursor:
        for start in range(0, len(ordered), chunk):
            part = ordered[start : start + chunk]
            cursor.execute(
                f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(columns.values())}) "
                f"VALUES {', '.join([row_sql] * len(part))} {alias}"
                f"{on_conflict} {', '.join(updates)}",
                [
                    field.get_db_prep_save(field.pre_save(row, add=True), connection)
                    for row in part
                    for field in fields
                ],
            )


def _merged(
    rows: Sequence[Model],
    *,
    unique_fields: Sequence[str],
    count_field: str | None,
    time_field: str,
    latest_fields: Sequence[str],
) -> list[Model]:
    """One row per key, as the upsert would make of them in turn: counts added, the newest
    row's `latest_fields` and time kept (a later row wins a tie)."""
    merged: dict[tuple, Model] = {}
    for row in rows:
        into = merged.setdefault(tuple(getattr(row, name) for name in unique_fields), row)
        if into is row:
            continue
        if count_field is not None:
            setattr(into, count_field, getattr(into, count_field) + getattr(row, count_field))
        if getattr(row, time_field) >= getattr(into, time_field):
            for name in (*latest_fields, time_field):
                setattr(into, name, getattr(row, name))
    return list(merged.values())
