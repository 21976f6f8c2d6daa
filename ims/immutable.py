"""Records that never change once written, refused twice: in Python and in the database.

- ``AppendOnlyModel`` and ``AppendOnlyQuerySet`` refuse ``save()`` of a stored row,
  ``delete()``, and the set-based ``QuerySet.update()`` / ``delete()`` (which skip ``save()``)
  on every database, so the shell, the admin, scripts and tests all get the same answer.
- ``guard_sql`` builds a PostgreSQL row trigger that raises on ``UPDATE`` (or ``DELETE``) when a
  condition on ``OLD``/``NEW`` holds, so raw SQL cannot get round the rule either. A migration
  installs it with ``RunPostgreSQL`` (a ``RunSQL`` with its reverse, skipped on SQLite).

Rows stay removable by ``TRUNCATE`` (a test run's flush; restoring a backup): row triggers do
not fire for it, and only the database owner may run it.

Use in an app::

    objects = AppendOnlyQuerySet.as_manager()                      # models.py
    RunPostgreSQL(*guard_sql("app_table"))                         # a migration
    RunPostgreSQL(*guard_sql("app_table", update=changed("a", "b"), delete=None))
"""

from collections.abc import Iterable
from typing import Any, NoReturn

from django.core.exceptions import PermissionDenied
from django.db import migrations, models
from django.utils.translation import gettext_lazy as _

# SQLSTATE 23001 (restrict_violation): Django raises it as ``IntegrityError``.
REFUSED_SQLSTATE = "23001"


def refuse_change() -> NoReturn:
    raise PermissionDenied(_("This record cannot be changed once written."))


def refuse_delete() -> NoReturn:
    raise PermissionDenied(_("This record cannot be deleted."))


class AppendOnlyQuerySet(models.QuerySet):
    """Set-based writes are refused: ``update()``, ``bulk_update()`` and ``delete()``."""

    def update(self, **kwargs: Any) -> NoReturn:
        refuse_change()

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> NoReturn:
        refuse_change()

    def delete(self) -> NoReturn:
        refuse_delete()

    delete.queryset_only = True  # type: ignore[attr-defined]


class AppendOnlyModel(models.Model):
    """A row that, once written, is never changed or deleted."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            refuse_change()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        refuse_delete()


# --- PostgreSQL triggers ----------------------------------------------------------------------


def changed(*columns: str) -> str:
    """SQL: one of ``columns`` differs between ``OLD`` and ``NEW`` (NULL-safe)."""
    old = ", ".join(f"OLD.{c}" for c in columns)
    new = ", ".join(f"NEW.{c}" for c in columns)
    return f"ROW({old}) IS DISTINCT FROM ROW({new})"


def sql_list(values: Iterable[object]) -> str:
    """SQL literal list: ``('a', 'b')`` (values are code constants, never user input)."""
    return "(" + ", ".join("'" + str(v).replace("'", "''") + "'" for v in values) + ")"


def guard_sql(
    table: str, *, update: str | None = "TRUE", delete: str | None = "TRUE", name: str | None = None
) -> tuple[str, str]:
    """``(forward, reverse)`` SQL for a ``BEFORE UPDATE OR DELETE`` row trigger on ``table``.

    ``update`` and ``delete`` are SQL conditions over ``OLD`` (and ``NEW`` for updates): when one
    holds, the statement fails with SQLSTATE 23001 and changes nothing. ``None`` leaves that
    operation alone. The defaults make the table append-only.
    """
    name = name or f"{table}_immutable"
    checks = {op: cond for op, cond in (("UPDATE", update), ("DELETE", delete)) if cond}
    if not checks:
        raise ValueError("guard_sql needs an update or a delete condition")
    body = "\n".join(
        f"  IF TG_OP = '{op}' AND ({cond}) THEN\n"
        f"    RAISE EXCEPTION '{op} refused: % rows cannot change once recorded', '{table}'\n"
        f"      USING ERRCODE = '{REFUSED_SQLSTATE}';\n"
        "  END IF;"
        for op, cond in checks.items()
    )
    forward = f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
{body}
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END;
$$;
DROP TRIGGER IF EXISTS {name} ON {table};
CREATE TRIGGER {name} BEFORE {" OR ".join(checks)} ON {table}
  FOR EACH ROW EXECUTE FUNCTION {name}();
"""
    reverse = f"DROP TRIGGER IF EXISTS {name} ON {table};\nDROP FUNCTION IF EXISTS {name}();"
    return forward, reverse


class RunPostgreSQL(migrations.RunSQL):
    """``RunSQL`` that runs on PostgreSQL only (SQLite has no such triggers; the Python guards
    hold there). Always give the reverse SQL."""

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
