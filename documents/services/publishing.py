"""An approved revision becomes effective: published now, or signed now and taking effect on a
later date; the previous effective revision is superseded in the same transaction."""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from simple_history.utils import bulk_create_with_history

from documents import coverage as coverage_rollup
from documents.models import Distribution, Document, Revision, RevisionStatus
from ims.models import Signature, User
from ims.reminders import lazy_format
from ims.workflow import after_commit, lock, refuse, signed_step, transition

from .mirror import sync_document
from .notices import notify_later, tell

S = RevisionStatus


def _lock_document_first(revision: Revision) -> Revision:
    """The document row, then the revision: two concurrent publishes of one document queue up
    on the document."""
    Document.objects.select_for_update().get(pk=revision.document_id)
    return lock(revision, "document")


def revision_publish(
    revision: Revision,
    *,
    actor: User,
    password: str,
    effective_date: datetime.date | None = None,
    comment: str = "",
    request: HttpRequest | None = None,
    allow_past: bool = False,
) -> Revision:
    """Approved → effective; in the same transaction the previous effective revision becomes
    superseded. The document row is locked first, so two concurrent publishes queue up; the
    partial unique constraint is the last guard.

    ``effective_date`` is today (the default) or later, never earlier. A later date signs the
    issue now and leaves the revision approved, "to take effect on" that date: ``publish_due``
    (a beat task) makes it effective and supersedes the previous one on the day.
    ``allow_past`` records a revision that took effect before it was entered here (imported
    records, demo data); no page passes it."""
    today = timezone.localdate()
    when = effective_date or today
    if when < today and not allow_past:
        refuse(
            _("The effective date cannot be in the past: choose today or later."),
            field="effective_date",
        )

    def check(locked: Revision) -> None:
        Revision.workflow.check(locked, "publish", actor)
        if not locked.approval_is_valid():
            refuse(
                _(
                    "The approval signature no longer matches this revision (its content, code "
                    "or title changed after approval). It cannot be published."
                )
            )

    def apply(locked: Revision, signature: Signature) -> Revision:
        if when > today:
            _schedule(locked, actor, when)
        else:
            _publish(locked, actor, when)
        return locked

    try:
        return signed_step(
            revision,
            actor=actor,
            password=password,
            meaning=Signature.Meaning.ISSUED,
            check=check,
            apply=apply,
            comment=comment,
            request=request,
            lock=_lock_document_first,
        )
    except IntegrityError:
        refuse(_("Another revision of this document was published at the same moment. Reload."))


def _schedule(revision: Revision, actor: User, effective_date: datetime.date) -> None:
    revision.effective_date = effective_date
    revision.save(update_fields=["effective_date"])
    # Signed now, effective later: it stays approved until its date.
    transition(
        revision,
        "schedule",
        actor=actor,
        save=False,
        checked=False,
        reason=str(
            _("To take effect on %(date)s")
            % {"date": formats.date_format(effective_date, "SHORT_DATE_FORMAT")}
        ),
    )
    sync_document(revision.document)


def revision_take_effect(
    revision_id: int, *, today: datetime.date | None = None
) -> Revision | None:
    """A scheduled revision whose date has come becomes effective, superseding the previous
    one, as its publisher's step. Idempotent: a revision already effective, not scheduled or
    not yet due is left alone (returns None)."""
    today = today or timezone.localdate()
    with transaction.atomic():
        document_id = (
            Revision.objects.filter(pk=revision_id).values_list("document_id", flat=True).first()
        )
        if document_id is None:
            return None
        revision = _lock_document_first(Revision(pk=revision_id, document_id=document_id))
        when = revision.effective_date
        if not revision.is_scheduled or when is None or when > today:
            return None
        issued = (
            Signature.objects.for_object(revision)
            .filter(meaning=Signature.Meaning.ISSUED)
            .select_related("signer")
            .order_by("-pk")
            .first()
        )
        actor = issued.signer if issued else revision.approver
        _publish(revision, actor, when)
    return revision


def publish_due(today: datetime.date | None = None) -> int:
    """Every scheduled revision due by ``today`` takes effect (the daily beat task)."""
    today = today or timezone.localdate()
    due = Revision.objects.filter(
        status=S.APPROVED, effective_date__isnull=False, effective_date__lte=today
    ).values_list("pk", flat=True)
    return sum(1 for pk in list(due) if revision_take_effect(pk, today=today) is not None)


def _publish(revision: Revision, actor: User | None, effective_date: datetime.date) -> None:
    document = revision.document
    previous = (
        Revision.objects.select_for_update()
        .filter(document=document, status=S.EFFECTIVE)
        .exclude(pk=revision.pk)
        .first()
    )
    if previous is not None:
        previous.superseded_at = timezone.now()
        transition(
            previous,
            "supersede",
            actor=actor,
            reason=str(_("Replaced by revision %(n)s") % {"n": revision.number}),
            fields=("superseded_at",),
        )
    revision.effective_date = effective_date
    transition(revision, "publish", actor=actor, fields=("effective_date",), checked=False)
    if previous is not None:
        _copy_distribution(previous, revision, actor)
    sync_document(document)
    after_commit(notify_later, revision.pk)
    if actor is None or revision.author_id != actor.pk:
        title = lazy_format(_("Published: %(doc)s"), doc=str(revision))
        after_commit(tell, [revision.author], title, revision, "documents.published")
    if previous is not None:
        coverage_rollup.drop([previous.pk])
    coverage_rollup.schedule(revision_ids=[revision.pk])


def _copy_distribution(source: Revision, target: Revision, actor: User | None) -> None:
    """The new effective revision goes to everyone who had the previous one (plus any entries
    added to the draft)."""
    have = set(target.distributions.values_list("unit_id", "user_id"))
    bulk_create_with_history(
        [
            Distribution(revision=target, unit_id=d.unit_id, user_id=d.user_id, created_by=actor)
            for d in source.distributions.all()
            if (d.unit_id, d.user_id) not in have
        ],
        Distribution,
        default_user=actor,
    )
