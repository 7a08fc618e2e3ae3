"""The FULLTEXT index behind MATCH … AGAINST searches (books/search.py).

Django has no portable FULLTEXT index, so it is added with SQL, on MySQL/MariaDB only; SQLite
keeps searching with LIKE and this migration does nothing there. On a big table InnoDB rebuilds
the table once to add its hidden FTS_DOC_ID column, which takes a while.
"""

from django.db import migrations

INDEX_NAME = "book_fulltext_idx"


def book_table(apps, schema_editor) -> str:
    return schema_editor.quote_name(apps.get_model("books", "Book")._meta.db_table)


def add_fulltext_index(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "mysql":
        schema_editor.execute(
            f"ALTER TABLE {book_table(apps, schema_editor)} "
            f"ADD FULLTEXT INDEX {INDEX_NAME} (title, author, description)"
        )


def drop_fulltext_index(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "mysql":
        schema_editor.execute(
            f"ALTER TABLE {book_table(apps, schema_editor)} DROP INDEX {INDEX_NAME}"
        )


class Migration(migrations.Migration):
    # MySQL cannot roll DDL back, and Django refuses to run it inside a transaction there.
    atomic = False

    dependencies = [
        ("books", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(add_fulltext_index, drop_fulltext_index),
    ]
