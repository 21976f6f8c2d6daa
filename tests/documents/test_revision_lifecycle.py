"""The lifecycle draft → in review → approved → effective → superseded, signed at each step."""

import pytest
from axes.models import AccessAttempt
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from documents import services
from documents.models import Document, Revision, RevisionStatus
from ims.models import Signature, TransitionEvent
from ims.signatures import SignatureError, signatures_for
from ims.transitions import TransitionError
from tests.documents.factories import draft_of, make_document, pdf_upload, publish

pytestmark = pytest.mark.django_db


def test_full_path_from_draft_to_superseded(world):
    document = make_document(world)
    revision = draft_of(document)
    assert revision.status == RevisionStatus.DRAFT and revision.number == 1

    services.revision_submit(revision, actor=world.iso)
    services.revision_review(revision, actor=world.head, password="demo", comment="Đạt")
    services.revision_approve(revision, actor=world.director, password="demo")
    services.revision_publish(revision, actor=world.director, password="demo")
    revision.refresh_from_db()
    document.refresh_from_db()
    assert revision.status == RevisionStatus.EFFECTIVE
    assert revision.effective_date == timezone.localdate()
    assert document.status == RevisionStatus.EFFECTIVE
    assert document.effective_revision == revision
    assert document.next_review_date.year == timezone.localdate().year + 1
    meanings = [s.meaning for s in signatures_for(revision)]
    assert meanings == ["reviewed", "approved", "issued"]
    assert all(s.valid for s in signatures_for(revision))
    steps = list(TransitionEvent.objects.for_object(revision).values_list("action", "to_state"))
    assert steps == [
        ("create", "draft"),
        ("submit", "in_review"),
        ("review", "in_review"),
        ("approve", "approved"),
        ("publish", "effective"),
    ]

    second = services.revision_create(
        document,
        actor=world.iso,
        upload=pdf_upload(),
        change_summary="Cập nhật theo mô hình chính quyền hai cấp.",
        reviewers=[world.head],
        approver=world.director,
    )
    assert second.number == 2
    publish(second)
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.SUPERSEDED
    assert Revision.objects.filter(document=document, status="effective").get() == second
    assert TransitionEvent.objects.for_object(revision).last().action == "supersede"


def test_draft_cannot_jump_to_effective(world):
    revision = draft_of(make_document(world))
    with pytest.raises(TransitionError):
        services.revision_publish(revision, actor=world.director, password="demo")
    with pytest.raises(TransitionError):
        services.revision_approve(revision, actor=world.director, password="demo")
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.DRAFT
    assert not Signature.objects.exists()


def _approver_forced_to(revision, user):
    """Name ``user`` approver behind the database's back: the check constraint that refuses an
    author as approver is suspended for this one write (the test's transaction undoes it)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending deferred checks
            cursor.execute(
                "ALTER TABLE documents_revision DROP CONSTRAINT documents_revision_approver_not_author"
            )
    else:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA ignore_check_constraints = ON")
    try:
        Revision.objects.filter(pk=revision.pk).update(approver=user)
    finally:
        if connection.vendor != "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA ignore_check_constraints = OFF")


def test_author_cannot_approve_own_revision(world):
    # Even when the data names the author as approver (the form, the services and the database
    # all refuse that; here it is forced), the author's approval is refused.
    document = make_document(
        world,
        author=world.director,
        owner=world.director,
        approver=world.iso,
        reviewers=[world.head],
    )
    revision = draft_of(document)
    _approver_forced_to(revision, world.director)  # while a draft: submitted content is frozen
    services.revision_submit(revision, actor=world.director)
    services.revision_review(revision, actor=world.head, password="demo")
    assert Revision.objects.get(pk=revision.pk).approver_id == world.director.pk
    with pytest.raises(PermissionDenied):
        services.revision_approve(revision, actor=world.director, password="demo")
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.IN_REVIEW
    assert not Signature.objects.filter(meaning="approved").exists()


def test_approver_equal_to_author_is_refused_at_creation_and_by_the_database(world):
    from django.core.exceptions import ValidationError
    from django.db import IntegrityError, transaction

    with pytest.raises(ValidationError):
        make_document(world, author=world.iso, approver=world.iso)
    revision = draft_of(make_document(world))
    with pytest.raises(IntegrityError), transaction.atomic():
        Revision.objects.filter(pk=revision.pk).update(approver=revision.author)


def test_wrong_password_creates_no_signature_and_changes_nothing(world):
    revision = draft_of(make_document(world))
    services.revision_submit(revision, actor=world.iso)
    with pytest.raises(SignatureError):
        services.revision_review(revision, actor=world.head, password="sai")
    services.revision_review(revision, actor=world.head, password="demo")
    with pytest.raises(SignatureError):
        services.revision_approve(revision, actor=world.director, password="wrong")
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.IN_REVIEW
    assert list(Signature.objects.values_list("meaning", flat=True)) == ["reviewed"]
    # Counted towards the sign-in lockout (one failure each: a right password clears none).
    assert AccessAttempt.objects.get(username="director").failures_since_start == 1


def test_approval_needs_every_reviewer_signature(world):
    revision = draft_of(make_document(world, reviewers=[world.head, world.auditor]))
    services.revision_submit(revision, actor=world.iso)
    services.revision_review(revision, actor=world.head, password="demo")
    with pytest.raises(TransitionError):
        services.revision_approve(revision, actor=world.director, password="demo")
    assert not Signature.objects.filter(meaning="approved").exists()


def test_submit_needs_reviewers_and_approver(world):
    revision = draft_of(make_document(world, reviewers=[], approver=None))
    with pytest.raises(TransitionError):
        services.revision_submit(revision, actor=world.iso)


def test_only_named_reviewer_can_sign_review(world):
    revision = draft_of(make_document(world))
    services.revision_submit(revision, actor=world.iso)
    with pytest.raises(PermissionDenied):
        services.revision_review(revision, actor=world.principal, password="demo")
    services.revision_review(revision, actor=world.head, password="demo")
    with pytest.raises(PermissionDenied):  # a second signature by the same reviewer
        services.revision_review(revision, actor=world.head, password="demo")


def test_return_to_draft_needs_reason_and_invalidates_nothing_signed(world):
    from django.core.exceptions import ValidationError

    revision = draft_of(make_document(world))
    services.revision_submit(revision, actor=world.iso)
    with pytest.raises(ValidationError):
        services.revision_return(revision, actor=world.head, reason="  ")
    services.revision_return(revision, actor=world.head, reason="Thiếu lưu đồ.")
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.DRAFT
    event = TransitionEvent.objects.for_object(revision).last()
    assert (event.action, event.reason) == ("return", "Thiếu lưu đồ.")


def test_changed_draft_invalidates_earlier_review_signature(world):
    revision = draft_of(make_document(world))
    services.revision_submit(revision, actor=world.iso)
    services.revision_review(revision, actor=world.head, password="demo")
    services.revision_return(revision, actor=world.director, reason="Sửa phạm vi.")
    services.revision_update(
        revision,
        actor=world.iso,
        change_summary="Sửa phạm vi áp dụng.",
        reviewers=[world.head],
        approver=world.director,
    )
    assert [s.valid for s in signatures_for(Revision.objects.get(pk=revision.pk))] == [False]
    services.revision_submit(revision, actor=world.iso)
    with pytest.raises(TransitionError):  # the old review no longer counts
        services.revision_approve(revision, actor=world.director, password="demo")


def test_withdraw_requires_reason_and_hides_document_from_register(world, client_for):
    from django.core.exceptions import ValidationError

    document = make_document(world)
    publish(draft_of(document))
    with pytest.raises(ValidationError):
        services.document_withdraw(document, actor=world.iso, reason="")
    services.document_withdraw(document, actor=world.iso, reason="Gộp vào QT-01.")
    document.refresh_from_db()
    assert document.status == RevisionStatus.OBSOLETE
    revision = document.revisions.get()
    assert revision.status == RevisionStatus.OBSOLETE and revision.obsolete_reason
    register = client_for(world.iso).get("/documents/").content.decode()
    assert document.code not in register
    assert (
        document.code in client_for(world.iso).get("/documents/?status=obsolete").content.decode()
    )


def test_only_one_revision_in_progress(world):
    from django.core.exceptions import ValidationError

    document = make_document(world)
    with pytest.raises(ValidationError):
        services.revision_create(
            document,
            actor=world.iso,
            upload=pdf_upload(),
            change_summary="x",
            reviewers=[world.head],
            approver=world.director,
        )


def test_periodic_review_restarts_the_interval(world):
    document = make_document(world, review_interval_months=6)
    publish(draft_of(document), effective_date=timezone.localdate().replace(year=2024))
    document.refresh_from_db()
    assert document.review_state() == "overdue"
    services.document_confirm_review(document, actor=world.iso, note="Còn phù hợp.")
    document.refresh_from_db()
    assert document.review_state() == ""
    assert Document.objects.review_overdue(timezone.localdate()).count() == 0
