"""The documents' search text keeps only published revisions' change summaries: a draft's
summary is no longer findable by people who may see the document but not the draft."""

from django.db import migrations

PUBLISHED = ("effective", "superseded", "obsolete")


def refresh(apps, schema_editor):
    from ims.search import fold_join

    Document = apps.get_model("documents", "Document")
    Revision = apps.get_model("documents", "Revision")
    summaries = {}
    published = Revision.objects.filter(status__in=PUBLISHED).order_by("document_id", "-number")
    for document_id, summary in published.values_list("document_id", "change_summary"):
        summaries.setdefault(document_id, []).append(summary)
    changed = []
    for document in Document.objects.only(
        "pk", "code", "title", "process", "external_number", "search_text"
    ).iterator(chunk_size=1000):
        text = fold_join(
            fold_join(document.code, document.title, document.process, document.external_number),
            *summaries.get(document.pk, ()),
        )
        if text != document.search_text:
            document.search_text = text
            changed.append(document)
    Document.objects.bulk_update(changed, ["search_text"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("documents", "0003_coverage_count")]

    operations = [migrations.RunPython(refresh, migrations.RunPython.noop, elidable=True)]
