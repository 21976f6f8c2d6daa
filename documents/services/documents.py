"""A document's own steps: create it (with its first draft), edit its details, withdraw it,
confirm its periodic review."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from documents import coverage as coverage_rollup
from documents.models import (
    AUTHOR_ROLES,
    IDENTITY_FIELDS,
    Document,
    RevisionStatus,
    add_months,
)
from ims.models import Clause, OrgUnit, User
from ims.workflow import after_commit, lock, refuse, transition

from .notices import notify_later
from .revisions import revision_create

S = RevisionStatus
CODE_TAKEN = _("A document with this code already exists in this unit.")


def can_author_in(user: User, unit: OrgUnit) -> bool:
    from ims.access import has_role

    return has_role(user, unit, AUTHOR_ROLES)


def _save_unique_code(document: Document) -> None:
    try:
        with transaction.atomic():
            document.save()
    except IntegrityError:
        refuse(CODE_TAKEN, field="code")


@transaction.atomic
def document_create(
    *,
    actor: User,
    data: dict[str, Any],
    clauses: Iterable[Clause] = (),
    restricted_to: Iterable[User] = (),
    upload: UploadedFile,
    revision_data: dict[str, Any],
) -> Document:
    """A new document with its first draft revision (number 1)."""
    if not can_author_in(actor, data["owner_unit"]):
        refuse(_("You may not create documents for this unit."))
    document = Document(**data)
    _save_unique_code(document)
    document.clauses.set(clauses)
    document.restricted_to.set(restricted_to)
    revision_create(document, actor=actor, upload=upload, **revision_data)
    return document


@transaction.atomic
def document_update(
    document: Document,
    *,
    actor: User,
    data: dict[str, Any],
    clauses: Iterable[Clause] | None = None,
    restricted_to: Iterable[User] | None = None,
) -> Document:
    document = lock(document)
    if not document.can_edit(actor):
        refuse(_("Only the owner or a quality manager may edit this document."))
    renamed = [f for f in IDENTITY_FIELDS if f in data and data[f] != getattr(document, f)]
    if renamed and document.identity_frozen():
        message = _(
            "This cannot change once a revision of the document is signed: every signature "
            "binds to the code and title. Create a new document instead."
        )
        raise ValidationError(dict.fromkeys(renamed, message))
    readers_before = (
        document.confidentiality,
        set(document.restricted_to.values_list("pk", flat=True)),
    )
    for field, value in data.items():
        setattr(document, field, value)
    if document.status == S.EFFECTIVE and "review_interval_months" in data:
        document.next_review_date = add_months(
            document.effective_date, document.review_interval_months
        )
    _save_unique_code(document)
    if clauses is not None:
        document.clauses.set(clauses)
    if restricted_to is not None:
        document.restricted_to.set(restricted_to)
    readers_after = (
        document.confidentiality,
        set(document.restricted_to.values_list("pk", flat=True)),
    )
    if readers_after != readers_before and document.effective_revision_id:
        # Who the effective revision reaches changed: count again, and tell newcomers.
        coverage_rollup.schedule(revision_ids=[document.effective_revision_id])
        after_commit(notify_later, document.effective_revision_id)
    return document


@transaction.atomic
def document_withdraw(document: Document, *, actor: User, reason: str) -> Document:
    """Withdraw a document: its effective revision becomes obsolete. A reason is required.
    The step is recorded on the revision; the document mirrors it."""
    document = lock(document)
    reason = (reason or "").strip()
    if not reason:
        refuse(_("Give a reason for withdrawing the document."), field="reason")
    if not document.can_withdraw(actor):
        refuse(Document.workflow["withdraw"].denied)
    revision = lock(document.revisions.get(status=S.EFFECTIVE), "document")
    revision.obsolete_at, revision.obsolete_reason = timezone.now(), reason
    transition(
        revision,
        "withdraw",
        actor=actor,
        reason=reason,
        fields=("obsolete_at", "obsolete_reason"),
    )
    coverage_rollup.drop([revision.pk])
    document.effective_revision = None
    document.status, document.next_review_date = S.OBSOLETE, None
    document.save(update_fields=["effective_revision", "status", "next_review_date"])
    return document


@transaction.atomic
def document_confirm_review(document: Document, *, actor: User, note: str) -> Document:
    """The periodic review found no change needed: the next review date restarts from today."""
    document = lock(document)
    if not document.can_confirm_review(actor):
        refuse(Document.workflow["periodic_review"].denied)
    note = (note or "").strip()
    if not note:
        refuse(_("Write what the review concluded."), field="note")
    document.next_review_date = add_months(timezone.localdate(), document.review_interval_months)
    document.save(update_fields=["next_review_date"])
    return transition(
        document, "periodic_review", actor=actor, reason=note, checked=False, save=False
    )
