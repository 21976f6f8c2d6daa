"""PostgreSQL refuses what the models refuse: any UPDATE or DELETE of a signature or a
transition event, and a change of a stored username (``ims.immutable``; skipped on SQLite)."""

from django.db import migrations

from ims.immutable import RunPostgreSQL, changed, guard_sql


class Migration(migrations.Migration):
    dependencies = [("ims", "0006_transitionevent_unit")]

    operations = [
        RunPostgreSQL(*guard_sql("ims_signature")),
        RunPostgreSQL(*guard_sql("ims_transitionevent")),
        RunPostgreSQL(*guard_sql("ims_user", update=changed("username"), delete=None)),
    ]
