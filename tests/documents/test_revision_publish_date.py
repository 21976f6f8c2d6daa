"""Publishing takes an effective date, today or later; a future date takes effect by a beat task."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from documents import services
from documents.models import Revision, RevisionStatus
from documents.tasks import publish_due_task
from ims.models import TransitionEvent
from tests.documents.factories import draft_of, effective_document, make_document

pytestmark = pytest.mark.django_db


def _approved(document):
    revision = draft_of(document)
    services.revision_submit(revision, actor=revision.author)
    for reviewer in revision.reviewers.all():
        services.revision_review(revision, actor=reviewer, password="demo")
    services.revision_approve(revision, actor=revision.approver, password="demo")
    return Revision.objects.get(pk=revision.pk)


def _new_revision(document, world):
    from tests.documents.factories import pdf_upload

    services.revision_create(
        document,
        actor=world.iso,
        upload=pdf_upload(),
        change_summary="Sửa đổi mục 4",
        reviewers=[world.head],
        approver=world.director,
    )
    return _approved(document)


def test_future_date_leaves_revision_approved_until_the_day_then_supersedes(world):
    today = timezone.localdate()
    document = effective_document(world)
    old = document.effective_revision
    revision = _new_revision(document, world)
    services.revision_publish(
        revision, actor=world.director, password="demo", effective_date=today + timedelta(days=3)
    )
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.APPROVED and revision.is_scheduled
    assert Revision.objects.get(pk=old.pk).status == RevisionStatus.EFFECTIVE
    # Before the day: nothing moves, even when the revision is asked for directly.
    assert services.publish_due(today + timedelta(days=2)) == 0
    assert services.revision_take_effect(revision.pk, today=today + timedelta(days=2)) is None
    assert Revision.objects.get(pk=revision.pk).status == RevisionStatus.APPROVED
    # On the day: effective, and the old one superseded then.
    assert services.publish_due(today + timedelta(days=3)) == 1
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.EFFECTIVE
    assert revision.effective_date == today + timedelta(days=3)
    assert Revision.objects.get(pk=old.pk).status == RevisionStatus.SUPERSEDED
    document.refresh_from_db()
    assert document.effective_revision_id == revision.pk
    event = TransitionEvent.objects.for_object(revision).get(action="publish")
    assert event.actor == world.director
    # Idempotent: a second run does nothing more.
    assert services.publish_due(today + timedelta(days=3)) == 0
    assert TransitionEvent.objects.for_object(revision).filter(action="publish").count() == 1


def test_the_beat_task_is_scheduled_and_runs_the_service(world):
    assert (
        settings.CELERY_BEAT_SCHEDULE["documents-publish-due"]["task"]
        == "documents.tasks.publish_due_task"
    )
    revision = _approved(make_document(world))
    services.revision_publish(
        revision,
        actor=world.director,
        password="demo",
        effective_date=timezone.localdate() + timedelta(days=1),
    )
    assert publish_due_task() == 0  # not yet due today
    Revision.objects.filter(pk=revision.pk).update(effective_date=timezone.localdate())
    assert publish_due_task() == 1
    assert Revision.objects.get(pk=revision.pk).status == RevisionStatus.EFFECTIVE


def test_today_publishes_at_once(world):
    revision = _approved(make_document(world))
    services.revision_publish(
        revision, actor=world.director, password="demo", effective_date=timezone.localdate()
    )
    assert Revision.objects.get(pk=revision.pk).status == RevisionStatus.EFFECTIVE


def test_past_date_is_refused_and_nothing_changes(world):
    revision = _approved(make_document(world))
    with pytest.raises(ValidationError):
        services.revision_publish(
            revision,
            actor=world.director,
            password="demo",
            effective_date=timezone.localdate() - timedelta(days=1),
        )
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.APPROVED and revision.effective_date is None


def test_a_scheduled_revision_cannot_be_published_again(world):
    revision = _approved(make_document(world))
    services.revision_publish(
        revision,
        actor=world.director,
        password="demo",
        effective_date=timezone.localdate() + timedelta(days=5),
    )
    revision.refresh_from_db()
    assert not revision.can_publish(world.director)


def test_publish_page_takes_the_date_and_refuses_a_past_one(world, client_for):
    revision = _approved(make_document(world))
    director = client_for(world.director)
    detail = reverse("documents:document_detail", args=[revision.document_id])
    assert 'name="effective_date"' in director.get(detail).content.decode()
    url = reverse("documents:revision_action", args=[revision.pk, "publish"])
    past = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = director.post(url, {"password": "demo", "effective_date": past}, follow=True)
    with translation.override("vi"):
        refused = translation.gettext(
            "The effective date cannot be in the past: choose today or later."
        )
    assert refused in " ".join(str(m) for m in response.context["messages"])
    assert Revision.objects.get(pk=revision.pk).effective_date is None
    future = timezone.localdate() + timedelta(days=10)
    response = director.post(
        url, {"password": "demo", "effective_date": future.isoformat()}, follow=True
    )
    assert 'data-testid="scheduled"' in response.content.decode()
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.APPROVED and revision.effective_date == future
    # An outsider cannot even tell the revision exists.
    outsider = client_for(world.principal2).post(url, {"password": "demo"})
    assert outsider.status_code == 404
