"""PostgreSQL refuses what the models refuse (``ims.immutable``; skipped on SQLite):

- an acknowledgement is never changed or deleted;
- a revision's content (what its signatures bind to) changes only while it is a draft, and only
  a draft is deleted;
- an effective, superseded or obsolete revision keeps its dates and moves only forward
  (effective → superseded → obsolete); its withdrawal fields are still written then.

The values are spelled out here, as they stood when the rule was written (``documents.models``:
``CONTENT_FIELDS``, ``LOCKED_STATES``, ``LOCKED_WRITABLE``, ``LOCKED_MOVES``).
"""

from django.db import migrations

from ims.immutable import RunPostgreSQL, changed, guard_sql, sql_list

CONTENT = (
    "document_id",
    "number",
    "change_summary",
    "file",
    "file_name",
    "file_kind",
    "file_size",
    "sha256",
    "author_id",
    "approver_id",
    "created_at",
)
LOCKED = ("effective", "superseded", "obsolete")
LOCKED_FROZEN = ("submitted_at", "approved_at", "effective_date")
MOVES = {
    "effective": ("effective", "superseded", "obsolete"),
    "superseded": ("superseded", "obsolete"),
    "obsolete": ("obsolete",),
}
moves = " OR ".join(
    f"(OLD.status = '{old}' AND NEW.status NOT IN {sql_list(new)})" for old, new in MOVES.items()
)
REVISION_UPDATE = (
    f"(OLD.status <> 'draft' AND {changed(*CONTENT)})"
    f" OR (OLD.status IN {sql_list(LOCKED)} AND ({changed(*LOCKED_FROZEN)} OR {moves}))"
)


class Migration(migrations.Migration):
    dependencies = [("documents", "0004_search_text_published_summaries")]

    operations = [
        RunPostgreSQL(*guard_sql("documents_acknowledgement")),
        RunPostgreSQL(
            *guard_sql("documents_revision", update=REVISION_UPDATE, delete="OLD.status <> 'draft'")
        ),
    ]
