"""`Book.search_grams`, the tokens that make text without spaces searchable (books/search.py),
filled for the books already there. Only books with such text get any, so only those are
written; every book is read once."""

from django.db import migrations, models

from books.search import search_grams

BATCH_SIZE = 2000


def fill_search_grams(apps, schema_editor) -> None:
    books = apps.get_model("books", "Book").objects.using(schema_editor.connection.alias)
    rows = books.values_list("pk", "title", "author", "description").order_by()
    changed = []
    for pk, *texts in rows.iterator(chunk_size=BATCH_SIZE):
        if grams := search_grams(*texts):
            changed.append(books.model(pk=pk, search_grams=grams))
    books.bulk_update(changed, ["search_grams"], batch_size=BATCH_SIZE)


class Migration(migrations.Migration):
    dependencies = [
        ("books", "0003_book_published_precision"),
    ]

    operations = [
        migrations.AddField(
            model_name="book",
            name="search_grams",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(fill_search_grams, migrations.RunPython.noop),
    ]
