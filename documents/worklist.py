"""What the documents module puts on a person's task list (``ims.worklist``).

- revisions they review (named reviewer, in review, their signature not yet on this content);
- revisions they approve (named approver, every review signed);
- approved revisions they publish (the approver);
- drafts returned to them (the author) for changes;
- effective revisions to read and acknowledge (the "To acknowledge" page's query);
- documents they own whose periodic review is due within 30 days or overdue.

A fixed number of queries whatever the number of rows: one for the revisions at a step that
waits for the user (with their signatures and reviewers, when some are in review), one for the
documents to acknowledge, one for the periodic reviews.
"""

from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, TypedDict

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ims.models import Signature, User
from ims.notifications import register_action_kinds
from ims.worklist import WorkItem, register_kind, register_worklist

from .models import REVIEW_DUE_DAYS, Document, Revision, RevisionStatus
from .reminders import ACK_AFTER_DAYS, ACK_OVERDUE, REVIEW_DUE, REVIEW_OVERDUE
from .selectors import revisions_to_acknowledge

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class _Named(TypedDict):
    named_reviewer: bool


REVIEW = "documents.review"
APPROVE = "documents.approve"
PUBLISH = "documents.publish"
RETURNED = "documents.returned"
ACKNOWLEDGE = "documents.acknowledge"
PERIODIC_REVIEW = "documents.periodic_review"

# Notifications that hand the recipient a step to take (the bell's "needs you").
ACTION_KINDS = (
    "documents.review",
    "documents.approve",
    "documents.returned",
    "documents.distributed",
    ACK_OVERDUE,
    REVIEW_DUE,
    REVIEW_OVERDUE,
)


def _url(revision: Revision) -> str:
    return reverse("documents:document_detail", args=[revision.document_id])


def _signed_by(revisions: Sequence[Revision], meaning: str) -> dict[int, set[tuple[int, str]]]:
    """``{revision id: {(signer id, content hash)}}`` of the ``meaning`` signatures on
    ``revisions`` (one query)."""
    signed: dict[int, set[tuple[int, str]]] = {}
    rows = Signature.objects.filter(
        content_type=ContentType.objects.get_for_model(Revision),
        object_id__in=[str(r.pk) for r in revisions],
        meaning=meaning,
    )
    for object_id, signer_id, digest in rows.values_list(
        "object_id", "signer_id", "content_sha256"
    ):
        signed.setdefault(int(object_id), set()).add((signer_id, digest))
    return signed


def _my_revisions(user: User) -> list["WithAnnotations[Revision, _Named]"]:
    """In one query, the revisions at a step that waits for ``user``: in review where she is a
    named reviewer or the approver, approved where she is the approver, and her own drafts that
    came back from review."""
    reviewer = Exists(Revision.reviewers.through.objects.filter(revision=OuterRef("pk"), user=user))
    return list(
        Revision.objects.annotate(named_reviewer=reviewer)
        .filter(
            Q(status=RevisionStatus.IN_REVIEW) & (Q(named_reviewer=True) | Q(approver=user))
            # Approved, not yet published (a scheduled one waits for its date: ``is_scheduled``).
            | Q(status=RevisionStatus.APPROVED, approver=user, effective_date__isnull=True)
            | Q(status=RevisionStatus.DRAFT, author=user, submitted_at__isnull=False)
        )
        .select_related("document", "document__owner_unit")
        .order_by("submitted_at", "pk")
    )


def _item(kind: str, revision: Revision) -> WorkItem:
    return WorkItem(kind, str(revision), _url(revision), unit=revision.document.owner_unit.label)


def revision_work(user: User, today: date) -> Iterator[WorkItem]:
    revisions = _my_revisions(user)
    in_review = [r for r in revisions if r.status == RevisionStatus.IN_REVIEW]
    to_approve = {r.pk for r in in_review if r.approver_id == user.pk and r.author_id != user.pk}
    signed = _signed_by(in_review, Signature.Meaning.REVIEWED) if in_review else {}
    reviewers: dict[int, set[int]] = {}
    if to_approve:
        for revision_id, reviewer_id in Revision.reviewers.through.objects.filter(
            revision__in=to_approve
        ).values_list("revision_id", "user_id"):
            reviewers.setdefault(revision_id, set()).add(reviewer_id)
    for revision in revisions:
        if revision.status == RevisionStatus.APPROVED:
            yield _item(PUBLISH, revision)
        elif revision.status == RevisionStatus.DRAFT:
            yield _item(RETURNED, revision)
            continue
        if revision.status != RevisionStatus.IN_REVIEW:
            continue
        digest = revision.current_hash()
        done = {signer for signer, h in signed.get(revision.pk, set()) if h == digest}
        # ``Revision.can_review``: a named reviewer who has not signed this content yet.
        if revision.named_reviewer and user.pk not in done:
            yield _item(REVIEW, revision)
        # ``Revision.all_reviews_signed``: the approver's turn once every review is signed.
        names = reviewers.get(revision.pk, set())
        if revision.pk in to_approve and names and names <= done:
            yield _item(APPROVE, revision)


def to_acknowledge(user: User, today: date) -> Iterator[WorkItem]:
    url = reverse("documents:to_acknowledge")
    for revision in revisions_to_acknowledge(user):
        effective = revision.effective_date  # set: every revision here is effective
        due = effective + timedelta(days=ACK_AFTER_DAYS) if effective else None
        yield WorkItem(
            ACKNOWLEDGE,
            f"{revision} · {revision.document.title}",
            url,
            unit=revision.document.owner_unit.label,
            due=due,
        )


def periodic_reviews(user: User, today: date) -> Iterator[WorkItem]:
    documents = (
        Document.objects.filter(
            owner=user,
            status=RevisionStatus.EFFECTIVE,
            next_review_date__isnull=False,
            next_review_date__lte=today + timedelta(days=REVIEW_DUE_DAYS),
        )
        .select_related("owner_unit")
        .order_by("next_review_date")
    )
    for document in documents:
        yield WorkItem(
            PERIODIC_REVIEW,
            str(document),
            reverse("documents:document_detail", args=[document.pk]),
            unit=document.owner_unit.label,
            due=document.next_review_date,
        )


def document_work(user: User, today: date) -> Iterator[WorkItem]:
    yield from revision_work(user, today)
    yield from to_acknowledge(user, today)
    yield from periodic_reviews(user, today)


def register() -> None:
    register_kind(REVIEW, _("Revision to review"), order=10)
    register_kind(APPROVE, _("Revision to approve"), order=11)
    register_kind(PUBLISH, _("Revision to publish"), order=12)
    register_kind(RETURNED, _("Draft returned to you"), order=13)
    register_kind(ACKNOWLEDGE, _("Document to acknowledge"), order=14)
    register_kind(PERIODIC_REVIEW, _("Periodic review of a document"), order=15)
    register_worklist("documents", document_work)
    register_action_kinds(*ACTION_KINDS)
