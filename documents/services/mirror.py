"""The document's denormalised state, refreshed from its revisions after each step."""

from __future__ import annotations

from documents.models import Document, RevisionStatus, add_months

S = RevisionStatus


def sync_document(document: Document) -> Document:
    """Refresh the document's denormalised state from its revisions (a discarded draft counts
    only when the document has nothing else)."""
    effective = document.revisions.filter(status=S.EFFECTIVE).first()
    latest = (
        document.revisions.exclude(status=S.DISCARDED).order_by("-number").first()
        or document.revisions.order_by("-number").first()
    )
    document.effective_revision = effective
    if effective:
        document.status = S.EFFECTIVE
        document.effective_date = effective.effective_date
        document.next_review_date = add_months(
            effective.effective_date, document.review_interval_months
        )
    else:
        document.status = latest.status if latest else S.DRAFT
        document.effective_date = None
        document.next_review_date = None
    document.save(
        update_fields=["effective_revision", "status", "effective_date", "next_review_date"]
    )
    return document
