"""The catalogue's version token (books/cache.py), with its one row."""

import secrets

from django.db import migrations, models


def add_row(apps, schema_editor) -> None:
    CatalogueVersion = apps.get_model("books", "CatalogueVersion")
    CatalogueVersion.objects.using(schema_editor.connection.alias).create(
        pk=1, token=secrets.randbits(63)
    )


class Migration(migrations.Migration):
    dependencies = [("books", "0005_book_search_index")]

    operations = [
        migrations.CreateModel(
            name="CatalogueVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("token", models.BigIntegerField()),
            ],
        ),
        migrations.RunPython(add_row, migrations.RunPython.noop),
    ]
