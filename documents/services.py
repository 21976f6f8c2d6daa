"""Every write to documents: one function per lifecycle step, each atomic and recorded.

Each step locks the row, checks its predicate (including separation of duties), changes the
state with ``update_fields``, writes a ``TransitionEvent`` and schedules its notifications with
``transaction.on_commit``. Views and tasks call these; nothing else sets a status.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from simple_history.utils import bulk_create_with_history

from ims.files import check_upload
from ims.models import Membership, Signature, User
from ims.notifications import notify
from ims.reminders import lazy_format
from ims.signatures import sign, verify_password
from ims.transitions import TransitionError, check_transition, record_transition

from . import coverage as coverage_rollup
from .authority import authority_refusal, may_approve
from .models import (
    AUTHOR_ROLES,
    IDENTITY_FIELDS,
    Acknowledgement,
    Confidentiality,
    Distribution,
    Document,
    Opening,
    Revision,
    RevisionStatus,
    add_months,
)

S = RevisionStatus
ALLOWED = {
    S.DRAFT: (S.IN_REVIEW, S.DISCARDED),
    S.IN_REVIEW: (S.APPROVED, S.DRAFT),
    S.APPROVED: (S.EFFECTIVE,),
    S.EFFECTIVE: (S.SUPERSEDED, S.OBSOLETE),
    S.SUPERSEDED: (S.OBSOLETE,),
}


def _lock(revision):
    return Revision.objects.select_for_update().select_related("document").get(pk=revision.pk)


def _step(revision, target):
    check_transition(revision.status, target, ALLOWED)


def _deny(message):
    raise TransitionError(message)


def _check_signers(document, *, author_id, reviewers, approver):
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


def _after_commit(func, *args, **kwargs):
    transaction.on_commit(lambda: func(*args, **kwargs))


def _url(revision):
    return reverse("documents:document_detail", args=[revision.document_id])


def _tell(users, title, revision, kind):
    for user in users:
        if user is not None and user.is_active:
            notify(user, title=title, url=_url(revision), kind=kind)


def _store_file(revision, upload):
    """Check ``upload`` (type from content, size, extension) and attach it with its SHA-256."""
    checked = check_upload(upload)
    revision.file_name = checked.name
    revision.file_kind = checked.kind.code
    revision.file_size = checked.size
    revision.sha256 = checked.sha256
    upload.seek(0)
    revision.file.save(checked.name, upload, save=False)


def _sync_document(document):
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


# --- documents and drafts --------------------------------------------------------------------


def can_author_in(user, unit):
    from ims.access import has_role

    return has_role(user, unit, AUTHOR_ROLES)


@transaction.atomic
def document_create(*, user, data, clauses=(), restricted_to=(), upload, revision_data):
    """A new document with its first draft revision (number 1)."""
    if not can_author_in(user, data["owner_unit"]):
        raise PermissionDenied(_("You may not create documents for this unit."))
    document = Document(**data)
    try:
        with transaction.atomic():
            document.save()
    except IntegrityError:
        raise ValidationError(
            {"code": _("A document with this code already exists in this unit.")}
        ) from None
    document.clauses.set(clauses)
    document.restricted_to.set(restricted_to)
    revision_create(document, user=user, upload=upload, **revision_data)
    return document


@transaction.atomic
def document_update(document, *, user, data, clauses=None, restricted_to=None):
    document = Document.objects.select_for_update().get(pk=document.pk)
    if not document.can_edit(user):
        raise PermissionDenied(_("Only the owner or a quality manager may edit this document."))
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
    try:
        with transaction.atomic():
            document.save()
    except IntegrityError:
        raise ValidationError(
            {"code": _("A document with this code already exists in this unit.")}
        ) from None
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
        _after_commit(_notify_later, document.effective_revision_id)
    return document


@transaction.atomic
def revision_create(document, *, user, upload, change_summary, reviewers=(), approver=None):
    """A new draft revision, numbered after the last one; only one working revision at a time."""
    document = Document.objects.select_for_update().get(pk=document.pk)
    if not (document.can_edit(user) or can_author_in(user, document.owner_unit)):
        raise PermissionDenied(_("You may not write revisions of this document."))
    if document.revisions.filter(status__in=(S.DRAFT, S.IN_REVIEW, S.APPROVED)).exists():
        raise ValidationError(_("This document already has a revision in progress."))
    if document.status == S.OBSOLETE:
        raise ValidationError(_("This document has been withdrawn."))
    change_summary = (change_summary or "").strip()
    if not change_summary:
        raise ValidationError({"change_summary": _("Describe what changed in this revision.")})
    _check_signers(document, author_id=user.pk, reviewers=reviewers, approver=approver)
    number = (document.revisions.aggregate(n=Max("number"))["n"] or 0) + 1
    revision = Revision(
        document=document,
        number=number,
        change_summary=change_summary,
        author=user,
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
    record_transition(revision, actor=user, action="create", from_state="", to_state=S.DRAFT)
    _sync_document(document)
    return revision


@transaction.atomic
def revision_update(revision, *, user, change_summary, reviewers, approver, upload=None):
    """Edit a draft: its summary, reviewers, approver, and optionally a new file."""
    revision = _lock(revision)
    if not revision.can_edit(user):
        raise PermissionDenied(_("Only a draft can be edited, by its author or a quality manager."))
    change_summary = (change_summary or "").strip()
    if not change_summary:
        raise ValidationError({"change_summary": _("Describe what changed in this revision.")})
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
            _after_commit(revision.file.storage.delete, old)
    revision.save(update_fields=fields)
    revision.reviewers.set(reviewers)
    revision.document.save(update_fields=["search_text"])
    return revision


# --- lifecycle -----------------------------------------------------------------------------


@transaction.atomic
def revision_submit(revision, *, user):
    """Draft → in review: reviewers and an approver must be named."""
    revision = _lock(revision)
    _step(revision, S.IN_REVIEW)
    if not revision.can_submit(user):
        raise PermissionDenied(_("Only the author or a quality manager may submit this draft."))
    if not revision.reviewers.exists() or revision.approver_id is None:
        _deny(_("Name at least one reviewer and an approver before submitting."))
    if revision.reviewers.filter(pk=revision.author_id).exists():
        _deny(_("The author cannot review their own revision: name another reviewer."))
    if not may_approve(revision.approver, revision.document):
        _deny(authority_refusal(revision.approver, revision.document))
    revision.status, revision.submitted_at = S.IN_REVIEW, timezone.now()
    revision.save(update_fields=["status", "submitted_at"])
    record_transition(
        revision, actor=user, action="submit", from_state=S.DRAFT, to_state=S.IN_REVIEW
    )
    _sync_document(revision.document)
    reviewers = list(revision.reviewers.all())
    title = lazy_format(_("To review: %(doc)s"), doc=str(revision))
    _after_commit(_tell, reviewers, title, revision, "documents.review")
    return revision


@transaction.atomic
def revision_discard(revision, *, user, reason):
    """Draft → discarded: its author gives it up, with a reason. Nothing is deleted: the
    revision, its file and its steps stay in the history; it leaves every working list, and a
    new revision may be started."""
    revision = _lock(revision)
    _step(revision, S.DISCARDED)
    if not revision.can_discard(user):
        raise PermissionDenied(_("Only the author may discard this draft."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason for discarding the draft.")})
    revision.status = S.DISCARDED
    revision.save(update_fields=["status"])
    record_transition(
        revision,
        actor=user,
        action="discard",
        from_state=S.DRAFT,
        to_state=S.DISCARDED,
        reason=reason,
    )
    _sync_document(revision.document)
    return revision


def revision_review(revision, *, user, password, comment="", request=None):
    """A named reviewer signs the review (password re-entered). The state stays in review."""

    def check(locked):
        if locked.status != S.IN_REVIEW:
            _deny(_("Only a revision in review can be reviewed."))
        if locked.author_id == user.pk:
            raise PermissionDenied(_("The author cannot review their own revision."))
        if not locked.can_review(user):
            raise PermissionDenied(_("You are not a reviewer of this revision, or already signed."))

    with transaction.atomic():
        check(_lock(revision))
    verify_password(user, password, request)
    with transaction.atomic():
        revision = _lock(revision)
        check(revision)
        signature = sign(
            revision,
            signer=user,
            password=password,
            meaning=Signature.Meaning.REVIEWED,
            comment=comment,
            request=request,
        )
        record_transition(
            revision,
            actor=user,
            action="review",
            from_state=S.IN_REVIEW,
            to_state=S.IN_REVIEW,
            reason=comment,
        )
        if revision.all_reviews_signed() and revision.approver:
            title = lazy_format(_("To approve: %(doc)s"), doc=str(revision))
            _after_commit(_tell, [revision.approver], title, revision, "documents.approve")
    return signature


@transaction.atomic
def revision_return(revision, *, user, reason):
    """In review → draft, with a reason (a reviewer or the approver sends it back)."""
    revision = _lock(revision)
    _step(revision, S.DRAFT)
    if not revision.can_return(user):
        raise PermissionDenied(_("Only a reviewer or the approver may return this revision."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason.")})
    revision.status = S.DRAFT
    revision.save(update_fields=["status"])
    record_transition(
        revision,
        actor=user,
        action="return",
        from_state=S.IN_REVIEW,
        to_state=S.DRAFT,
        reason=reason,
    )
    _sync_document(revision.document)
    title = lazy_format(_("Returned for changes: %(doc)s"), doc=str(revision))
    _after_commit(_tell, [revision.author], title, revision, "documents.returned")
    return revision


def revision_approve(revision, *, user, password, comment="", request=None):
    """In review → approved, signed by the named approver, who is not the author."""

    def check(locked):
        _step(locked, S.APPROVED)
        if locked.author_id == user.pk:
            raise PermissionDenied(_("The author cannot approve their own revision."))
        if locked.approver_id != user.pk:
            raise PermissionDenied(_("Only the named approver may approve this revision."))
        if not may_approve(user, locked.document):
            raise PermissionDenied(authority_refusal(user, locked.document))
        if not locked.all_reviews_signed():
            _deny(_("Every reviewer must sign the review before approval."))

    with transaction.atomic():
        check(_lock(revision))
    verify_password(user, password, request)
    with transaction.atomic():
        revision = _lock(revision)
        check(revision)
        sign(
            revision,
            signer=user,
            password=password,
            meaning=Signature.Meaning.APPROVED,
            comment=comment,
            request=request,
        )
        revision.status, revision.approved_at = S.APPROVED, timezone.now()
        revision.save(update_fields=["status", "approved_at"])
        record_transition(
            revision,
            actor=user,
            action="approve",
            from_state=S.IN_REVIEW,
            to_state=S.APPROVED,
            reason=comment,
        )
        _sync_document(revision.document)
        title = lazy_format(_("Approved: %(doc)s"), doc=str(revision))
        _after_commit(_tell, [revision.author], title, revision, "documents.approved")
    return revision


def revision_publish(
    revision,
    *,
    user,
    password,
    effective_date=None,
    comment="",
    request=None,
    allow_past=False,
):
    """Approved → effective; in the same transaction the previous effective revision becomes
    superseded. The document row is locked first, so two concurrent publishes queue up; the
    partial unique constraint is the last guard.

    ``effective_date`` is today (the default) or later, never earlier. A later date signs the
    issue now and leaves the revision approved, "to take effect on" that date: ``publish_due``
    (a beat task) makes it effective and supersedes the previous one on the day.
    ``allow_past`` records a revision that took effect before it was entered here (imported
    records, demo data); no page passes it."""
    today = timezone.localdate()
    effective_date = effective_date or today
    if effective_date < today and not allow_past:
        raise ValidationError(
            {
                "effective_date": _(
                    "The effective date cannot be in the past: choose today or later."
                )
            }
        )

    def check(locked):
        _step(locked, S.EFFECTIVE)
        if not locked.can_publish(user):
            raise PermissionDenied(
                _("Only the approver or a quality manager may publish this revision.")
            )
        if not locked.approval_is_valid():
            _deny(
                _(
                    "The approval signature no longer matches this revision (its content, code "
                    "or title changed after approval). It cannot be published."
                )
            )

    with transaction.atomic():
        check(_lock(revision))
    verify_password(user, password, request)
    try:
        with transaction.atomic():
            document = Document.objects.select_for_update().get(pk=revision.document_id)
            revision = _lock(revision)
            check(revision)
            sign(
                revision,
                signer=user,
                password=password,
                meaning=Signature.Meaning.ISSUED,
                comment=comment,
                request=request,
            )
            if effective_date > today:
                _schedule(document, revision, user, effective_date)
            else:
                _publish(document, revision, user, effective_date)
    except IntegrityError:
        raise TransitionError(
            _("Another revision of this document was published at the same moment. Reload.")
        ) from None
    return revision


def _schedule(document, revision, user, effective_date):
    revision.effective_date = effective_date
    revision.save(update_fields=["effective_date"])
    record_transition(
        revision,
        actor=user,
        action="schedule",
        from_state=S.APPROVED,
        to_state=S.APPROVED,
        reason=str(
            _("To take effect on %(date)s")
            % {"date": formats.date_format(effective_date, "SHORT_DATE_FORMAT")}
        ),
    )
    _sync_document(document)


def revision_take_effect(revision_id, *, today=None):
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
        document = Document.objects.select_for_update().get(pk=document_id)
        revision = Revision.objects.select_for_update().get(pk=revision_id)
        if not revision.is_scheduled or revision.effective_date > today:
            return None
        issued = (
            Signature.objects.for_object(revision)
            .filter(meaning=Signature.Meaning.ISSUED)
            .select_related("signer")
            .order_by("-pk")
            .first()
        )
        actor = issued.signer if issued else revision.approver
        _publish(document, revision, actor, revision.effective_date)
    return revision


def publish_due(today=None):
    """Every scheduled revision due by ``today`` takes effect (the daily beat task)."""
    today = today or timezone.localdate()
    due = Revision.objects.filter(
        status=S.APPROVED, effective_date__isnull=False, effective_date__lte=today
    ).values_list("pk", flat=True)
    return sum(1 for pk in list(due) if revision_take_effect(pk, today=today) is not None)


def _publish(document, revision, user, effective_date):
    previous = (
        Revision.objects.select_for_update()
        .filter(document=document, status=S.EFFECTIVE)
        .exclude(pk=revision.pk)
        .first()
    )
    if previous is not None:
        previous.status, previous.superseded_at = S.SUPERSEDED, timezone.now()
        previous.save(update_fields=["status", "superseded_at"])
        record_transition(
            previous,
            actor=user,
            action="supersede",
            from_state=S.EFFECTIVE,
            to_state=S.SUPERSEDED,
            reason=str(_("Replaced by revision %(n)s") % {"n": revision.number}),
        )
    revision.status, revision.effective_date = S.EFFECTIVE, effective_date
    revision.save(update_fields=["status", "effective_date"])
    record_transition(
        revision, actor=user, action="publish", from_state=S.APPROVED, to_state=S.EFFECTIVE
    )
    if previous is not None:
        _copy_distribution(previous, revision, user)
    _sync_document(document)
    _after_commit(_notify_later, revision.pk)
    if revision.author_id != user.pk:
        title = lazy_format(_("Published: %(doc)s"), doc=str(revision))
        _after_commit(_tell, [revision.author], title, revision, "documents.published")
    if previous is not None:
        coverage_rollup.drop([previous.pk])
    coverage_rollup.schedule(revision_ids=[revision.pk])


def _notify_later(revision_id):
    from .tasks import enqueue_notify_recipients

    enqueue_notify_recipients(revision_id)


def _copy_distribution(source, target, user):
    """The new effective revision goes to everyone who had the previous one (plus any entries
    added to the draft)."""
    have = set(target.distributions.values_list("unit_id", "user_id"))
    bulk_create_with_history(
        [
            Distribution(revision=target, unit_id=d.unit_id, user_id=d.user_id, created_by=user)
            for d in source.distributions.all()
            if (d.unit_id, d.user_id) not in have
        ],
        Distribution,
        default_user=user,
    )


@transaction.atomic
def document_withdraw(document, *, user, reason):
    """Withdraw a document: its effective revision becomes obsolete. A reason is required."""
    document = Document.objects.select_for_update().get(pk=document.pk)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason for withdrawing the document.")})
    if not document.can_withdraw(user):
        raise PermissionDenied(_("Only the owner or a quality manager may withdraw it."))
    revision = _lock(document.revisions.get(status=S.EFFECTIVE))
    _step(revision, S.OBSOLETE)
    revision.status, revision.obsolete_at, revision.obsolete_reason = (
        S.OBSOLETE,
        timezone.now(),
        reason,
    )
    revision.save(update_fields=["status", "obsolete_at", "obsolete_reason"])
    record_transition(
        revision,
        actor=user,
        action="withdraw",
        from_state=S.EFFECTIVE,
        to_state=S.OBSOLETE,
        reason=reason,
    )
    coverage_rollup.drop([revision.pk])
    document.effective_revision = None
    document.status, document.next_review_date = S.OBSOLETE, None
    document.save(update_fields=["effective_revision", "status", "next_review_date"])
    return document


@transaction.atomic
def document_confirm_review(document, *, user, note):
    """The periodic review found no change needed: the next review date restarts from today."""
    document = Document.objects.select_for_update().get(pk=document.pk)
    if not document.can_confirm_review(user):
        raise PermissionDenied(_("Only the owner or a quality manager may record the review."))
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Write what the review concluded.")})
    document.next_review_date = add_months(timezone.localdate(), document.review_interval_months)
    document.save(update_fields=["next_review_date"])
    record_transition(
        document,
        actor=user,
        action="periodic_review",
        from_state=document.status,
        to_state=document.status,
        reason=note,
    )
    return document


# --- distribution and acknowledgement ------------------------------------------------------


def recipients(revision):
    """Active users on ``revision``'s current distribution (named, or in a distributed unit's
    subtree) who may open it: a restricted document reaches only its listed readers, so
    nobody is asked to acknowledge a document they cannot open."""
    from django.db.models import Exists, OuterRef, Q

    units = revision.distributions.filter(unit__isnull=False).values_list("unit__path", flat=True)
    condition = Q(pk__in=revision.distributions.filter(user__isnull=False).values("user_id"))
    for path in units:
        condition |= Exists(
            Membership.objects.active().filter(user=OuterRef("pk"), unit__path__startswith=path)
        )
    people = User.objects.filter(is_active=True).filter(condition)
    if revision.document.confidentiality == Confidentiality.RESTRICTED:
        people = people.filter(
            pk__in=Document.restricted_to.through.objects.filter(
                document_id=revision.document_id
            ).values("user_id")
        )
    return people.order_by("full_name", "username")


def _unreadable(revision, users):
    """Of ``users``, those who may not open ``revision`` when it is published (a restricted
    document's unlisted people)."""
    if revision.document.confidentiality != Confidentiality.RESTRICTED:
        return []
    listed = set(revision.document.restricted_to.values_list("pk", flat=True))
    return [u for u in users if u.pk not in listed]


@transaction.atomic
def distribution_add(revision, *, user, units=(), users=()):
    revision = _lock(revision)
    if not revision.can_distribute(user):
        raise PermissionDenied(_("You may not change this distribution list."))
    if not units and not users:
        raise ValidationError(_("Choose at least one unit or person."))
    unreadable = _unreadable(revision, users)
    if unreadable:
        raise ValidationError(
            _(
                "This document is restricted and these people are not among its readers: "
                "%(names)s. Add them to its readers first."
            )
            % {"names": ", ".join(u.display_name for u in unreadable)}
        )
    existing_units = set(revision.distributions.values_list("unit_id", flat=True))
    existing_users = set(revision.distributions.values_list("user_id", flat=True))
    added = [
        Distribution(revision=revision, unit=u, created_by=user)
        for u in units
        if u.pk not in existing_units
    ] + [
        Distribution(revision=revision, user=u, created_by=user)
        for u in users
        if u.pk not in existing_users
    ]
    bulk_create_with_history(added, Distribution, default_user=user)
    record_transition(
        revision,
        actor=user,
        action="distribute",
        from_state=revision.status,
        to_state=revision.status,
        reason=", ".join(str(d) for d in added),
    )
    if revision.status == S.EFFECTIVE and added:
        _after_commit(_notify_later, revision.pk)
        coverage_rollup.schedule(revision_ids=[revision.pk])
    return added


@transaction.atomic
def distribution_remove(distribution, *, user):
    """End an entry of the distribution list (never deleted: it stays in the history)."""
    revision = _lock(distribution.revision)
    if not revision.can_distribute(user):
        raise PermissionDenied(_("You may not change this distribution list."))
    distribution = (
        Distribution.objects.select_for_update().filter(pk=distribution.pk).order_by().first()
    )
    if distribution is None:
        raise ValidationError(_("This entry was already removed from the distribution list."))
    record_transition(
        revision,
        actor=user,
        action="undistribute",
        from_state=revision.status,
        to_state=revision.status,
        reason=str(distribution),
    )
    distribution.ended_at, distribution.ended_by = timezone.now(), user
    distribution._history_user = user
    distribution.save(update_fields=["ended_at", "ended_by"])
    if revision.status == S.EFFECTIVE:
        coverage_rollup.schedule(revision_ids=[revision.pk])


def notify_recipients(revision_id):
    """Tell every recipient who has not acknowledged an effective revision that it is out."""
    revision = Revision.objects.select_related("document").filter(pk=revision_id).first()
    if revision is None or revision.status != S.EFFECTIVE:
        return 0
    done = set(revision.acknowledgements.values_list("user_id", flat=True))
    url = reverse("documents:to_acknowledge")
    sent = 0
    for user in recipients(revision):
        if user.pk in done:
            continue
        if notify(
            user,
            title=lazy_format(
                _("New document to read and acknowledge: %(doc)s"), doc=str(revision)
            ),
            body=revision.document.title,
            url=url,
            kind="documents.distributed",
            dedupe_key=f"documents.distributed:rev-{revision.pk}:{user.pk}",
        ):
            sent += 1
    return sent


def revision_opened(revision, *, user, via):
    """Record that ``user`` opened ``revision`` (the first time only). Call after the access
    check, when the file or its viewer is served."""
    if not getattr(user, "is_authenticated", False):
        return None
    opening, _created = Opening.objects.get_or_create(
        revision_id=revision.pk, user=user, defaults={"via": via}
    )
    return opening


ACK_NEEDS_OPENING = _(
    "Open the document first (view it in the browser or download it): acknowledging says you "
    "have read it."
)


@transaction.atomic
def revision_acknowledge(revision, *, user):
    """The recipient has read this effective revision (and has opened it: viewed or
    downloaded). Acknowledging twice changes nothing."""
    revision = Revision.objects.select_for_update().get(pk=revision.pk)
    if revision.status != S.EFFECTIVE:
        _deny(_("Only an effective revision can be acknowledged."))
    if revision.acknowledgements.filter(user=user).exists():
        return revision.acknowledgements.get(user=user)
    if not revision.can_acknowledge(user):
        raise PermissionDenied(_("This document was not distributed to you."))
    if not revision.opened_by(user):
        _deny(ACK_NEEDS_OPENING)
    acknowledgement = Acknowledgement.objects.create(revision=revision, user=user)
    coverage_rollup.acknowledged(revision, user)
    return acknowledgement


def remind_unread(revision, *, actor, today=None):
    """ "Remind those who have not read": one notification to each recipient of the effective
    ``revision`` who has not acknowledged it and whom ``actor`` manages (``managed_paths``, as
    coverage names them). At most one reminder per person, revision and day, whoever presses
    the button and however often (the notification's dedupe key; ``ims.reminders`` keys the
    same way). Returns ``(sent, already_reminded_today)``."""
    from django.db.models import Exists, OuterRef, Q

    today = today or timezone.localdate()
    if revision.status != S.EFFECTIVE:
        _deny(_("Only an effective revision has readers to remind."))
    paths = managed_paths(actor)
    if not paths:
        raise PermissionDenied(_("You manage nobody on this distribution list."))
    managed = Q()
    for path in paths:
        managed |= Q(unit__path__startswith=path)
    people = (
        recipients(revision)
        .exclude(pk__in=revision.acknowledgements.values("user_id"))
        .filter(Exists(Membership.objects.active().filter(managed, user=OuterRef("pk"))))
    )
    url = reverse("documents:revision_view", args=[revision.pk])
    title = lazy_format(_("Reminder: please read and acknowledge %(doc)s"), doc=str(revision))
    sent = already = 0
    for person in people:
        created = notify(
            person,
            title=title,
            body=revision.document.title,
            url=url,
            kind="documents.ack_reminder",
            dedupe_key=f"documents.ack_reminder:rev-{revision.pk}:{person.pk}:{today.isoformat()}",
        )
        if created:
            sent += 1
        else:
            already += 1
    if sent:
        record_transition(
            revision,
            actor=actor,
            action="remind",
            from_state=revision.status,
            to_state=revision.status,
            reason=str(_("%(n)s reminded") % {"n": sent}),
        )
    return sent, already


def managed_paths(viewer):
    """Tree paths of the units whose people ``viewer`` manages: where they are a head, a
    principal or a manager (each covers its subtree). Coverage names only these people."""
    from ims.access import HEAD_ROLES, MANAGER_ROLES

    if viewer.is_superuser:
        return [""]
    return list(
        Membership.objects.active()
        .filter(user=viewer, role__in=list(HEAD_ROLES | MANAGER_ROLES))
        .values_list("unit__path", flat=True)
    )


def _managed(person, paths):
    """``person`` (memberships with units loaded) has an active membership under ``paths``."""
    return any(
        m.is_active and m.unit.path.startswith(path)
        for m in person.memberships.all()
        for path in paths
    )


def _missing(people, done, paths):
    """(names the viewer may see, how many others) among ``people`` who have not acknowledged."""
    missing = [p for p in people if p.pk not in done]
    shown = [p for p in missing if _managed(p, paths)]
    return shown, len(missing) - len(shown)


def coverage(revision, *, viewer):
    """Acknowledgement coverage of ``revision``: overall and per distributed unit.

    Returns ``{"total", "done", "percent", "missing": [users], "hidden", "units": [{unit,
    total, done, percent, missing, hidden}]}``. ``missing`` names only people ``viewer``
    manages (``managed_paths``); ``hidden`` counts the others not yet acknowledged.
    """
    people = list(recipients(revision).prefetch_related("memberships__unit"))
    done = set(revision.acknowledgements.values_list("user_id", flat=True))
    paths = managed_paths(viewer)

    def summary(group):
        total = len(group)
        acknowledged = sum(1 for u in group if u.pk in done)
        missing, hidden = _missing(group, done, paths)
        return {
            "total": total,
            "done": acknowledged,
            "percent": round(100 * acknowledged / total) if total else 0,
            "missing": missing,
            "hidden": hidden,
        }

    result = summary(people)
    units = []
    for distribution in revision.distributions.filter(unit__isnull=False).select_related("unit"):
        path = distribution.unit.path
        group = [
            u
            for u in people
            if any(m.is_active and m.unit.path.startswith(path) for m in u.memberships.all())
        ]
        units.append({"unit": distribution.unit, **summary(group)})
    result["units"] = units
    return result


def unit_coverage(unit, *, viewer):
    """For each effective revision (visible to ``viewer``) that reaches people whose home unit
    lies in ``unit``'s subtree: ``{revision, total, done, percent, missing, hidden}`` over those
    people. A person counts once, at their home unit (``documents.coverage`` has the definition,
    which the dashboard's coverage shares). ``missing`` names only people ``viewer`` manages;
    ``hidden`` counts the others."""
    from django.db.models import Prefetch, Q

    members = [
        person
        for person in User.objects.filter(is_active=True)
        .filter(
            pk__in=Membership.objects.active()
            .filter(unit__path__startswith=unit.path)
            .values("user_id")
        )
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.active().select_related("unit"),
            )
        )
        .order_by("full_name", "username")
        if coverage_rollup.home_of(person.memberships.all()).path.startswith(unit.path)
    ]
    member_ids = [m.pk for m in members]
    # Units whose distribution reaches a member: those at or above any of their memberships.
    reaching_paths = {
        path for m in members for ms in m.memberships.all() for path in ms.unit.ancestor_paths()
    }
    revisions = (
        Revision.objects.for_user(viewer)
        .filter(status=S.EFFECTIVE)
        .filter(
            Q(
                distributions__unit__path__in=sorted(reaching_paths),
                distributions__ended_at__isnull=True,
            )
            | Q(distributions__user__in=member_ids, distributions__ended_at__isnull=True)
        )
        .distinct()
        .select_related("document")
        .prefetch_related(
            Prefetch("distributions", queryset=Distribution.objects.select_related("unit"))
        )
        .order_by("document__code")
    )
    revisions = list(revisions)
    done = set(
        Acknowledgement.objects.filter(revision__in=revisions, user__in=member_ids).values_list(
            "revision_id", "user_id"
        )
    )
    # A restricted document reaches only its listed readers.
    readers = {}
    for document_id, user_id in Document.restricted_to.through.objects.filter(
        document__in=[
            r.document_id
            for r in revisions
            if r.document.confidentiality == Confidentiality.RESTRICTED
        ]
    ).values_list("document_id", "user_id"):
        readers.setdefault(document_id, set()).add(user_id)
    paths = managed_paths(viewer)
    rows = []
    for revision in revisions:
        reached = [
            m
            for m in members
            if _reaches(revision.distributions.all(), m)
            and (
                revision.document.confidentiality != Confidentiality.RESTRICTED
                or m.pk in readers.get(revision.document_id, ())
            )
        ]
        if not reached:
            continue
        acknowledged = {m.pk for m in reached if (revision.pk, m.pk) in done}
        missing, hidden = _missing(reached, acknowledged, paths)
        rows.append(
            {
                "revision": revision,
                "total": len(reached),
                "done": len(acknowledged),
                "percent": round(100 * len(acknowledged) / len(reached)),
                "missing": missing,
                "hidden": hidden,
            }
        )
    return rows


def _reaches(distributions, user):
    paths = [m.unit.path for m in user.memberships.all()]
    return any(
        d.user_id == user.pk or (d.unit_id and any(p.startswith(d.unit.path) for p in paths))
        for d in distributions
    )
