"""Counter tables keep half of each page free (PostgreSQL), so the fold's ``count = count + n``
updates stay on the row's page and touch no index (HOT updates)."""

from django.db import migrations

TABLES = ["surveys_unittally", "surveys_questiontally", "surveys_valuetally"]


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = 50)")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"ALTER TABLE {table} RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("surveys", "0004_staged_response")]

    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor)]
