from django.db import migrations, models

TRIGRAM_INDEX = "documents_document_search_trgm"


def create_trigram_index(apps, schema_editor):
    """PostgreSQL only: a trigram index serves the register's ``LIKE '%word%'`` search
    (``ims.search``). SQLite keeps scanning, which is fine at its scale."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} ON documents_document "
        "USING gin (search_text gin_trgm_ops)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="document",
            index=models.Index(fields=["code"], name="documents_document_code"),
        ),
        migrations.AddIndex(
            model_name="revision",
            index=models.Index(
                condition=models.Q(("status__in", ["effective", "superseded", "obsolete"])),
                fields=["document"],
                name="documents_revision_published",
            ),
        ),
        migrations.RunPython(create_trigram_index, drop_trigram_index, elidable=False),
    ]
