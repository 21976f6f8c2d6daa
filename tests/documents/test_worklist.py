"""The documents module's items on the task list, and the author's hand-over notifications."""

from datetime import timedelta

import pytest
from django.utils import timezone

from documents import services
from documents.models import Document
from ims import worklist
from ims.models import Notification
from tests.documents.factories import draft_of, effective_document, make_document

pytestmark = pytest.mark.django_db


def kinds_for(user, kind):
    return [item.title for item in worklist.collect(user) if item.kind == kind]


def test_a_reviewer_sees_the_revision_until_she_signs(world):
    document = make_document(world, reviewers=[world.head, world.principal])
    revision = draft_of(document)
    assert kinds_for(world.head, "documents.review") == []  # a draft is not for review yet
    services.revision_submit(revision, actor=world.iso)
    assert kinds_for(world.head, "documents.review") == [str(revision)]
    assert kinds_for(world.principal2, "documents.review") == []
    assert kinds_for(world.teacher, "documents.review") == []
    services.revision_review(revision, actor=world.head, password="demo")
    assert kinds_for(world.head, "documents.review") == []
    assert kinds_for(world.principal, "documents.review") == [str(revision)]


def test_the_approver_sees_it_once_every_review_is_signed_then_to_publish(world):
    document = make_document(world, reviewers=[world.head], approver=world.director)
    revision = draft_of(document)
    services.revision_submit(revision, actor=world.iso)
    assert kinds_for(world.director, "documents.approve") == []  # the review is not signed yet
    services.revision_review(revision, actor=world.head, password="demo")
    assert kinds_for(world.director, "documents.approve") == [str(revision)]
    assert kinds_for(world.principal2, "documents.approve") == []
    services.revision_approve(revision, actor=world.director, password="demo")
    assert kinds_for(world.director, "documents.approve") == []
    assert kinds_for(world.director, "documents.publish") == [str(revision)]
    services.revision_publish(revision, actor=world.director, password="demo")
    assert kinds_for(world.director, "documents.publish") == []


def test_a_revision_published_for_a_later_date_no_longer_waits_for_the_approver(world):
    document = make_document(world, reviewers=[world.head], approver=world.director)
    revision = draft_of(document)
    services.revision_submit(revision, actor=world.iso)
    services.revision_review(revision, actor=world.head, password="demo")
    services.revision_approve(revision, actor=world.director, password="demo")
    services.revision_publish(
        revision,
        actor=world.director,
        password="demo",
        effective_date=timezone.localdate() + timedelta(days=5),
    )
    assert kinds_for(world.director, "documents.publish") == []


def test_a_returned_draft_waits_for_its_author(world):
    document = make_document(world, reviewers=[world.head])
    revision = draft_of(document)
    assert kinds_for(world.iso, "documents.returned") == []  # never submitted: not returned
    services.revision_submit(revision, actor=world.iso)
    services.revision_return(revision, actor=world.head, reason="Thiếu lưu đồ.")
    assert kinds_for(world.iso, "documents.returned") == [str(revision)]
    assert kinds_for(world.principal2, "documents.returned") == []
    services.revision_submit(revision, actor=world.iso)
    assert kinds_for(world.iso, "documents.returned") == []


def test_documents_to_acknowledge_match_the_acknowledgement_page(world, client_for):
    document = effective_document(world, unit=world.school, distribute_to=[world.school])
    revision = document.effective_revision
    items = [i for i in worklist.collect(world.teacher) if i.kind == "documents.acknowledge"]
    assert len(items) == 1 and str(revision) in items[0].title
    assert items[0].due == revision.effective_date + timedelta(days=7)
    page = client_for(world.teacher).get("/documents/to-acknowledge/")
    assert len(items) == len(list(page.context["revisions"]))
    assert kinds_for(world.principal2, "documents.acknowledge") == []
    services.revision_opened(revision, actor=world.teacher, via="view")
    services.revision_acknowledge(revision, actor=world.teacher)
    assert kinds_for(world.teacher, "documents.acknowledge") == []


def test_the_owner_sees_a_periodic_review_falling_due(world):
    document = effective_document(world)
    today = timezone.localdate()
    Document.objects.filter(pk=document.pk).update(next_review_date=today + timedelta(days=40))
    assert kinds_for(world.iso, "documents.periodic_review") == []
    Document.objects.filter(pk=document.pk).update(next_review_date=today - timedelta(days=1))
    items = [i for i in worklist.collect(world.iso) if i.kind == "documents.periodic_review"]
    assert [i.title for i in items] == [str(document)] and items[0].overdue
    assert kinds_for(world.principal2, "documents.periodic_review") == []


# --- hand-over notifications ---------------------------------------------------------------


def _inbox(user, kind):
    return list(Notification.objects.filter(user=user, kind=kind))


def test_the_author_hears_when_her_revision_is_approved_and_published(
    world, django_capture_on_commit_callbacks
):
    document = make_document(world, owner=world.iso, reviewers=[world.head])
    revision = draft_of(document)
    with django_capture_on_commit_callbacks(execute=True):
        services.revision_submit(revision, actor=world.iso)
        services.revision_review(revision, actor=world.head, password="demo")
        services.revision_approve(revision, actor=world.director, password="demo")
    [approved] = _inbox(world.iso, "documents.approved")
    assert str(revision) in approved.title and approved.category == "info"
    assert _inbox(world.iso, "documents.published") == []
    with django_capture_on_commit_callbacks(execute=True):
        services.revision_publish(revision, actor=world.director, password="demo")
    [published] = _inbox(world.iso, "documents.published")
    assert published.url == f"/documents/{document.pk}/"
    assert _inbox(world.director, "documents.published") == []


def test_the_author_hears_when_her_revision_is_returned_and_it_needs_her(
    world, django_capture_on_commit_callbacks
):
    document = make_document(world, reviewers=[world.head])
    revision = draft_of(document)
    with django_capture_on_commit_callbacks(execute=True):
        services.revision_submit(revision, actor=world.iso)
        services.revision_return(revision, actor=world.head, reason="Thiếu lưu đồ.")
    [returned] = _inbox(world.iso, "documents.returned")
    assert returned.category == "action"
    [to_review] = _inbox(world.head, "documents.review")
    assert to_review.category == "action"
