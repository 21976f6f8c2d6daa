"""A revision from draft to approval: write it, submit it, review, return, approve or discard."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from documents.authority import authority_refusal, may_approve
from documents.models import Document, Revision, RevisionStatus
from ims.models import Signature, User
from ims.reminders import lazy_format
from ims.workflow import after_commit, created, lock, refuse, signed_step, transition

from .mirror import sync_document
from .notices import tell

S = RevisionStatus
SUMMARY_NEEDED = _("Describe what changed in this revision.")


def _check_signers(
    document: Document,
    *,
    author_id: int,
    reviewers: Iterable[User | int],
    approver: User | None,
) -> None:
    """Separation of duties on a revision's signers, as a form error on the right field:
    reviewers and the approver are never the author, and the approver holds an approving role
    for the document (the approval authority matrix)."""
    errors = {}
    if any(getattr(r, "pk", r) == author_id for r in reviewers):
        errors["reviewers"] = _("The author cannot review their own revision.")
    if approver is not None:
        if approver.pk == author_id:
            errors["approver"] = _("The approver cannot be the author.")
        elif not may_approve(approver, document):
            errors["approver"] = authority_refusal(approver, document)
    if errors:
        raise ValidationError(errors)


def _store_file(revision: Revision, upload: UploadedFile) -> None:
    """Check ``upload`` (type from content, size, extension) and attach it with its SHA-256."""
    from ims.files import check_upload

    checked = check_upload(upload)
    revision.file_name = checked.name
    revision.file_kind = checked.kind.code
    revision.file_size = checked.size
    revision.sha256 = checked.sha256
    upload.seek(0)
    revision.file.save(checked.name, upload, save=False)


def _summary(change_summary: str | None) -> str:
    change_summary = (change_summary or "").strip()
    if not change_summary:
        refuse(SUMMARY_NEEDED, field="change_summary")
    return change_summary


@transaction.atomic
def revision_create(
    document: Document,
    *,
    actor: User,
    upload: UploadedFile,
    change_summary: str,
    reviewers: Iterable[User] = (),
    approver: User | None = None,
) -> Revision:
    """A new draft revision, numbered after the last one; only one working revision at a time."""
    from .documents import can_author_in

    document = lock(document)
    if not (document.can_edit(actor) or can_author_in(actor, document.owner_unit)):
        refuse(_("You may not write revisions of this document."))
    if document.revisions.filter(status__in=(S.DRAFT, S.IN_REVIEW, S.APPROVED)).exists():
        refuse(_("This document already has a revision in progress."))
    if document.status == S.OBSOLETE:
        refuse(_("This document has been withdrawn."))
    change_summary = _summary(change_summary)
    reviewers = list(reviewers)
    _check_signers(document, author_id=actor.pk, reviewers=reviewers, approver=approver)
    number = (document.revisions.aggregate(n=Max("number"))["n"] or 0) + 1
    revision = Revision(
        document=document,
        number=number,
        change_summary=change_summary,
        author=actor,
        approver=approver,
    )
    _store_file(revision, upload)
    try:
        with transaction.atomic():
            revision.save()
    except Exception:
        revision.file.storage.delete(revision.file.name)  # no orphan file on a refused save
        raise
    revision.reviewers.set(reviewers)
    created(revision, "create", actor=actor)
    sync_document(document)
    return revision


@transaction.atomic
def revision_update(
    revision: Revision,
    *,
    actor: User,
    change_summary: str,
    reviewers: Iterable[User],
    approver: User | None,
    upload: UploadedFile | None = None,
) -> Revision:
    """Edit a draft: its summary, reviewers, approver, and optionally a new file."""
    revision = lock(revision, "document")
    if not revision.can_edit(actor):
        refuse(_("Only a draft can be edited, by its author or a quality manager."))
    change_summary = _summary(change_summary)
    reviewers = list(reviewers)
    _check_signers(
        revision.document, author_id=revision.author_id, reviewers=reviewers, approver=approver
    )
    revision.change_summary = change_summary
    revision.approver = approver
    fields = ["change_summary", "approver"]
    if upload is not None:
        old = revision.file.name
        _store_file(revision, upload)
        fields += ["file", "file_name", "file_kind", "file_size", "sha256"]
        if old and old != revision.file.name:
            after_commit(revision.file.storage.delete, old)
    revision.save(update_fields=fields)
    revision.reviewers.set(reviewers)
    revision.document.save(update_fields=["search_text"])
    return revision


@transaction.atomic
def revision_submit(revision: Revision, *, actor: User) -> Revision:
    """Draft → in review: reviewers and an approver must be named."""
    revision = lock(revision, "document")
    Revision.workflow.check(revision, "submit", actor)
    if not revision.reviewers.exists() or revision.approver_id is None:
        refuse(_("Name at least one reviewer and an approver before submitting."))
    if revision.reviewers.filter(pk=revision.author_id).exists():
        refuse(_("The author cannot review their own revision: name another reviewer."))
    if not may_approve(revision.approver, revision.document):
        refuse(authority_refusal(revision.approver, revision.document))
    revision.submitted_at = timezone.now()
    reviewers = list(revision.reviewers.all())
    title = lazy_format(_("To review: %(doc)s"), doc=str(revision))
    transition(
        revision,
        "submit",
        actor=actor,
        fields=("submitted_at",),
        checked=False,
        notify=lambda: tell(reviewers, title, revision, "documents.review"),
    )
    sync_document(revision.document)
    return revision


@transaction.atomic
def revision_discard(revision: Revision, *, actor: User, reason: str) -> Revision:
    """Draft → discarded: its author gives it up, with a reason. Nothing is deleted: the
    revision, its file and its steps stay in the history; it leaves every working list, and a
    new revision may be started."""
    revision = lock(revision, "document")
    Revision.workflow.check(revision, "discard", actor)
    reason = (reason or "").strip()
    if not reason:
        refuse(_("Give a reason for discarding the draft."), field="reason")
    transition(revision, "discard", actor=actor, reason=reason, checked=False)
    sync_document(revision.document)
    return revision


def revision_review(
    revision: Revision,
    *,
    actor: User,
    password: str,
    comment: str = "",
    request: HttpRequest | None = None,
) -> Signature:
    """A named reviewer signs the review (password re-entered). The state stays in review.
    Returns the signature."""

    def check(locked: Revision) -> None:
        if locked.status != S.IN_REVIEW:
            refuse(_("Only a revision in review can be reviewed."))
        if locked.author_id == actor.pk:
            refuse(_("The author cannot review their own revision."))
        if not locked.can_review(actor):
            refuse(Revision.workflow["review"].denied)

    def apply(locked: Revision, signature: Signature) -> Signature:
        notify = None
        if locked.all_reviews_signed() and locked.approver:
            title = lazy_format(_("To approve: %(doc)s"), doc=str(locked))
            approver = locked.approver

            def notify() -> None:
                tell([approver], title, locked, "documents.approve")

        transition(
            locked,
            "review",
            actor=actor,
            reason=comment,
            checked=False,
            save=False,
            notify=notify,
        )
        return signature

    return signed_step(
        revision,
        actor=actor,
        password=password,
        meaning=Signature.Meaning.REVIEWED,
        check=check,
        apply=apply,
        comment=comment,
        request=request,
        lock=_lock,
    )


@transaction.atomic
def revision_return(revision: Revision, *, actor: User, reason: str) -> Revision:
    """In review → draft, with a reason (a reviewer or the approver sends it back)."""
    revision = lock(revision, "document")
    Revision.workflow.check(revision, "return", actor)
    reason = (reason or "").strip()
    if not reason:
        refuse(_("Give a reason."), field="reason")
    title = lazy_format(_("Returned for changes: %(doc)s"), doc=str(revision))
    author = revision.author
    transition(
        revision,
        "return",
        actor=actor,
        reason=reason,
        checked=False,
        notify=lambda: tell([author], title, revision, "documents.returned"),
    )
    sync_document(revision.document)
    return revision


def revision_approve(
    revision: Revision,
    *,
    actor: User,
    password: str,
    comment: str = "",
    request: HttpRequest | None = None,
) -> Revision:
    """In review → approved, signed by the named approver, who is not the author."""

    def check(locked: Revision) -> None:
        Revision.workflow.check_state(locked, "approve")
        if locked.author_id == actor.pk:
            refuse(_("The author cannot approve their own revision."))
        if locked.approver_id != actor.pk:
            refuse(Revision.workflow["approve"].denied)
        if not may_approve(actor, locked.document):
            refuse(authority_refusal(actor, locked.document))
        if not locked.all_reviews_signed():
            refuse(_("Every reviewer must sign the review before approval."))

    def apply(locked: Revision, signature: Signature) -> Revision:
        locked.approved_at = timezone.now()
        title = lazy_format(_("Approved: %(doc)s"), doc=str(locked))
        author = locked.author
        transition(
            locked,
            "approve",
            actor=actor,
            reason=comment,
            fields=("approved_at",),
            checked=False,
            notify=lambda: tell([author], title, locked, "documents.approved"),
        )
        sync_document(locked.document)
        return locked

    return signed_step(
        revision,
        actor=actor,
        password=password,
        meaning=Signature.Meaning.APPROVED,
        check=check,
        apply=apply,
        comment=comment,
        request=request,
        lock=_lock,
    )


def _lock(revision: Revision) -> Revision:
    return lock(revision, "document")
