"""The search indexes take `search_grams` in: on MySQL/MariaDB the FULLTEXT index is made again
with it as a fourth column; on SQLite an FTS5 table indexes the same four columns.

The FTS5 table is an external-content table over books_book (it stores no copy of the text)
and is kept in step by triggers, so that every write (admin, API, import, bulk_create, raw SQL)
updates it in the same transaction. Its tokenizer folds case and diacritics, as MariaDB's
utf8mb4_unicode_ci collation does. A later migration that makes SQLite rebuild books_book
(Django copies the table and drops the old one) drops these triggers with it: it must run
create_sqlite_index() again.
"""

from django.db import migrations

from books.search import FTS5_TABLE, FULLTEXT_COLUMNS

INDEX_NAME = "book_fulltext_idx"
TRIGGERS = ("books_book_fts_insert", "books_book_fts_delete", "books_book_fts_update")


def book_table(apps, schema_editor) -> str:
    return schema_editor.quote_name(apps.get_model("books", "Book")._meta.db_table)


def make_fulltext_index(apps, schema_editor, columns: tuple[str, ...]) -> None:
    table = book_table(apps, schema_editor)
    schema_editor.execute(f"ALTER TABLE {table} DROP INDEX {INDEX_NAME}")
    schema_editor.execute(
        f"ALTER TABLE {table} ADD FULLTEXT INDEX {INDEX_NAME} ({', '.join(columns)})"
    )


def create_sqlite_index(apps, schema_editor) -> None:
    table = book_table(apps, schema_editor)
    columns = ", ".join(FULLTEXT_COLUMNS)
    new = ", ".join(f"new.{column}" for column in FULLTEXT_COLUMNS)
    old = ", ".join(f"old.{column}" for column in FULLTEXT_COLUMNS)
    remove_old = f"INSERT INTO {FTS5_TABLE} ({FTS5_TABLE}, rowid, {columns}) VALUES ('delete', old.id, {old});"
    add_new = f"INSERT INTO {FTS5_TABLE} (rowid, {columns}) VALUES (new.id, {new});"
    insert, delete, update = TRIGGERS
    for sql in (
        f"CREATE VIRTUAL TABLE {FTS5_TABLE} USING fts5({columns}, content={table}, "
        "content_rowid=id, tokenize='unicode61 remove_diacritics 2')",
        f"CREATE TRIGGER {insert} AFTER INSERT ON {table} BEGIN {add_new} END",
        f"CREATE TRIGGER {delete} AFTER DELETE ON {table} BEGIN {remove_old} END",
        f"CREATE TRIGGER {update} AFTER UPDATE ON {table} BEGIN {remove_old} {add_new} END",
        f"INSERT INTO {FTS5_TABLE} ({FTS5_TABLE}) VALUES ('rebuild')",
    ):
        schema_editor.execute(sql)


def drop_sqlite_index(apps, schema_editor) -> None:
    for trigger in TRIGGERS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    schema_editor.execute(f"DROP TABLE IF EXISTS {FTS5_TABLE}")


def add_search_index(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "mysql":
        make_fulltext_index(apps, schema_editor, FULLTEXT_COLUMNS)
    elif vendor == "sqlite":
        create_sqlite_index(apps, schema_editor)


def remove_search_index(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "mysql":
        make_fulltext_index(apps, schema_editor, ("title", "author", "description"))
    elif vendor == "sqlite":
        drop_sqlite_index(apps, schema_editor)


class Migration(migrations.Migration):
    # MySQL cannot roll DDL back, and Django refuses to run it inside a transaction there.
    atomic = False

    dependencies = [
        ("books", "0004_book_search_grams"),
    ]

    operations = [
        migrations.RunPython(add_search_index, remove_search_index),
    ]
