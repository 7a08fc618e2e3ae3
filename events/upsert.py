"""Adding a consumer batch's counts to existing rows in one statement, new rows included."""

from collections.abc import Sequence

from django.db import connections
from django.db.models import Model


def add_counts(
    rows: Sequence[Model],
    *,
    unique_fields: Sequence[str],
    count_field: str,
    time_field: str,
    latest_fields: Sequence[str],
) -> None:
    """Insert `rows`; where a row with the same `unique_fields` exists, add this row's
    `count_field` to it and, if this row's `time_field` is as new or newer, take its
    `latest_fields` and time.

    One INSERT … ON DUPLICATE KEY UPDATE (ON CONFLICT … DO UPDATE on SQLite) does what reading,
    locking and rewriting the rows did, and adds in the database: a consumer of another
    partition adding to the same row at the same moment cannot overwrite this batch's counts.
    Django's bulk_create can only overwrite on conflict, hence the SQL here.
    """
    if not rows:
        return
    model = type(rows[0])
    meta = model._meta
    connection = connections[model.objects.db]
    quote = connection.ops.quote_name
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    columns = {field.name: quote(field.column) for field in fields}
    if connection.vendor == "mysql":
        new, conflict = "VALUES({})".format, " ON DUPLICATE KEY UPDATE "
        newest = "GREATEST({old}, {new})"
        choose = "IF({new_time} >= {old_time}, {new}, {old})"
    else:
        new = "excluded.{}".format
        conflict = " ON CONFLICT ({}) DO UPDATE SET ".format(
            ", ".join(columns[name] for name in unique_fields)
        )
        newest = "MAX({old}, {new})"
        choose = "CASE WHEN {new_time} >= {old_time} THEN {new} ELSE {old} END"
    time_column = columns[time_field]
    # MySQL assigns left to right, each seeing the ones before: the time goes after the
    # columns whose choice depends on it.
    updates = [
        f"{columns[name]} = "
        + choose.format(
            new_time=new(time_column),
            old_time=time_column,
            new=new(columns[name]),
            old=columns[name],
        )
        for name in latest_fields
    ]
    updates.append(f"{time_column} = " + newest.format(old=time_column, new=new(time_column)))
    count_column = columns[count_field]
    updates.append(f"{count_column} = {count_column} + {new(count_column)}")
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(columns.values())}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})" + conflict + ", ".join(updates)
    )
    # In one order for every consumer, so that two of them never wait on each other's rows.
    ordered = sorted(rows, key=lambda row: [getattr(row, name) for name in unique_fields])
    params = [
        [field.get_db_prep_save(getattr(row, field.attname), connection) for field in fields]
        for row in ordered
    ]
    with connection.cursor() as cursor:
        # MySQLdb sends this as one multi-row INSERT.
        cursor.executemany(sql, params)
