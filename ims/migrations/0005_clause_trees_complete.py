from django.db import migrations


def load(apps, schema_editor):
    # Idempotent: adds the clauses missing from databases loaded by 0002, keeps existing rows.
    from ims.criteria import load_reference_data

    load_reference_data(apps)


class Migration(migrations.Migration):
    dependencies = [("ims", "0004_report_job_task_id")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
