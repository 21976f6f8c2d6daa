"""A restricted document reaches only its listed readers: distribution, notifications,
acknowledgement reminders, the to-acknowledge page and coverage (the page, the unit page and the
roll-up) leave out whoever cannot open it, so nobody is asked to acknowledge what they cannot
read."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from documents import coverage, services
from documents.models import Acknowledgement, CoverageCount, Distribution, Revision
from documents.reminders import ACK_OVERDUE, acknowledgement_reminders
from ims.models import Notification, Role
from tests.documents.factories import draft_of, make_document, publish
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def restricted(world, django_capture_on_commit_callbacks):
    """A restricted plan of the first school, readable by principal and teacher, distributed to
    the whole school, where ``world.clerk`` works too without being a reader."""
    world.clerk = UserFactory(username="clerk")
    MembershipFactory(user=world.clerk, unit=world.school, role=Role.STAFF)
    document = make_document(
        world,
        unit=world.school,
        owner=world.principal,
        code="KH-MAT",
        title="Kế hoạch bảo vệ bí mật",
        confidentiality="restricted",
        reviewers=[world.head],
    )
    document.restricted_to.set([world.principal, world.teacher])
    revision = draft_of(document)
    Distribution.objects.create(
        revision=revision,
        unit=world.school,
        created_by=world.principal,
        created_at=timezone.now() - timedelta(days=10),
    )
    with django_capture_on_commit_callbacks(execute=True):
        publish(revision, effective_date=timezone.localdate() - timedelta(days=10))
    return Revision.objects.get(pk=revision.pk)


def _notified(user):
    return Notification.objects.filter(user=user, kind="documents.distributed").exists()


def test_only_listed_readers_are_recipients_and_notified(world, restricted):
    assert set(services.recipients(restricted)) == {world.principal, world.teacher}
    assert _notified(world.teacher)
    assert not _notified(world.clerk)


def test_an_unlisted_member_is_never_asked_to_acknowledge(world, restricted, client_for):
    assert not restricted.can_acknowledge(world.clerk)
    assert restricted.can_acknowledge(world.teacher)
    client = client_for(world.clerk)
    page = client.get(reverse("documents:to_acknowledge"))
    assert restricted not in page.context["revisions"]
    assert client.post(reverse("documents:acknowledge", args=[restricted.pk])).status_code == 404
    assert not Acknowledgement.objects.filter(user=world.clerk).exists()
    reminded = {
        r.user for r in acknowledgement_reminders(timezone.localdate()) if r.kind == ACK_OVERDUE
    }
    assert reminded == {world.principal, world.teacher}


def test_coverage_counts_only_readers(world, restricted):
    services.revision_opened(restricted, actor=world.teacher, via="download")
    services.revision_acknowledge(restricted, actor=world.teacher)
    page = services.coverage(restricted, viewer=world.principal)
    assert (page["total"], page["done"]) == (2, 1)
    [row] = services.unit_coverage(world.school, viewer=world.principal)
    assert (row["total"], row["done"], row["missing"]) == (2, 1, [world.principal])
    coverage.rebuild()
    rows = CoverageCount.objects.filter(revision=restricted)
    assert [(r.unit_id, r.expected, r.acknowledged) for r in rows] == [(world.school.pk, 2, 1)]


def test_an_unlisted_person_cannot_be_named_on_the_distribution(world, restricted):
    with pytest.raises(ValidationError):
        services.distribution_add(restricted, actor=world.principal, users=[world.clerk])
    assert not Distribution.objects.filter(revision=restricted, user=world.clerk).exists()
    services.distribution_add(restricted, actor=world.principal, users=[world.teacher])
    assert Distribution.objects.filter(revision=restricted, user=world.teacher).exists()


def test_a_new_reader_is_counted_and_told(world, restricted, django_capture_on_commit_callbacks):
    coverage.rebuild()
    with django_capture_on_commit_callbacks(execute=True):
        services.document_update(
            restricted.document,
            actor=world.principal,
            data={},
            restricted_to=[world.principal, world.teacher, world.clerk],
        )
    assert _notified(world.clerk)
    assert restricted.can_acknowledge(world.clerk)
    assert CoverageCount.objects.get(revision=restricted, unit=world.school).expected == 3
