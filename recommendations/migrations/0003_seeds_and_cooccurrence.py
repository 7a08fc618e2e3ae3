from django.db import migrations, models
from django.db.models import F


def found_when_last_found(apps, schema_editor) -> None:
    """The first time is unknown for existing rows: the latest is the best guess."""
    Interest = apps.get_model("recommendations", "Interest")
    Interest.objects.update(found_at=F("updated_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("recommendations", "0002_openedbook"),
    ]

    operations = [
        migrations.AddField(
            model_name="interest",
            name="query",
            field=models.CharField(
                default="", help_text="The latest search that found the book.", max_length=200
            ),
        ),
        migrations.AddField(
            model_name="interest",
            name="found_at",
            field=models.DateTimeField(
                null=True, help_text="When a search of the visitor first found it."
            ),
        ),
        migrations.RunPython(found_when_last_found, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="interest",
            name="found_at",
            field=models.DateTimeField(help_text="When a search of the visitor first found it."),
        ),
        migrations.AddIndex(
            model_name="interest",
            index=models.Index(fields=["visitor_id", "-found_at"], name="interest_seed_idx"),
        ),
        migrations.AddField(
            model_name="openedbook",
            name="book",
            field=models.JSONField(
                default=dict, help_text="The book as the first view carried it."
            ),
        ),
        migrations.AddIndex(
            model_name="openedbook",
            index=models.Index(fields=["visitor_id", "-opened_at"], name="opened_seed_idx"),
        ),
        migrations.CreateModel(
            name="CoOccurrence",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("seed_book_id", models.BigIntegerField()),
                ("book_id", models.BigIntegerField()),
                ("visitors", models.PositiveIntegerField(default=0)),
                (
                    "book",
                    models.JSONField(help_text="The opened book as the latest event carried it."),
                ),
                ("updated_at", models.DateTimeField()),
            ],
            options={
                "indexes": [
                    models.Index(fields=["seed_book_id", "-visitors"], name="cooccurrence_top_idx")
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("seed_book_id", "book_id"), name="cooccurrence_once"
                    )
                ],
            },
        ),
    ]
