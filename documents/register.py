"""The document register: one query with its filters, shared by the page, the exports and the PDF."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ims.search import fold, search
from ims.unitfilter import unit_condition

from .models import Document, RevisionStatus

EXPORT_HEADERS = [
    _("Code"),
    pgettext_lazy("document", "Title"),
    _("Type"),
    _("Owner unit"),
    _("Owner"),
    _("Process"),
    _("Status"),
    _("Revision"),
    _("Effective date"),
    _("Next review"),
    _("Confidentiality"),
    _("Retention (years)"),
    _("Issuer"),
    pgettext_lazy("external document", "Number"),
    _("Legal status"),
]


def register_queryset(user, cleaned, today=None):
    """Documents ``user`` may see, filtered by a valid ``RegisterFilterForm``'s data."""
    today = today or timezone.localdate()
    documents = Document.objects.select_related(
        "owner_unit", "owner", "effective_revision"
    ).order_by("code", "owner_unit__path")
    documents = documents if user is None else documents.for_user(user)
    if cleaned.get("status") != RevisionStatus.OBSOLETE:
        # Withdrawn documents disappear from where people work; the status filter finds them.
        documents = documents.exclude(status=RevisionStatus.OBSOLETE)
    if cleaned.get("status") != RevisionStatus.DISCARDED:
        # So do documents whose only draft was discarded.
        documents = documents.exclude(status=RevisionStatus.DISCARDED)
    if cleaned.get("type"):
        documents = documents.filter(doc_type=cleaned["type"])
    if cleaned.get("unit"):
        only = cleaned.get("unit_only")
        documents = documents.filter(**unit_condition("owner_unit", cleaned["unit"], only))
    if cleaned.get("status"):
        documents = documents.filter(status=cleaned["status"])
    if cleaned.get("clause"):
        documents = documents.filter(clauses=cleaned["clause"])
    if cleaned.get("review") == "due":
        documents = documents.due_for_review(today)
    elif cleaned.get("review") == "overdue":
        documents = documents.review_overdue(today)
    if cleaned.get("q") and fold(cleaned["q"]):
        documents = search(documents, cleaned["q"])
    return documents


def export_rows(documents):
    for d in documents.iterator(chunk_size=500):
        yield [
            d.code,
            d.title,
            d.get_doc_type_display(),
            d.owner_unit.label,
            d.owner.display_name,
            d.process,
            d.get_status_display(),
            d.effective_revision.number if d.effective_revision else "",
            d.effective_date,
            d.next_review_date,
            d.get_confidentiality_display(),
            d.retention_years if d.retention_years is not None else str(_("Permanent")),
            d.issuer,
            d.external_number,
            d.get_external_status_display() if d.external_status else "",
        ]
