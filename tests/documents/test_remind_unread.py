""" "Nhắc người chưa đọc": one reminder per person and day, only to people the viewer manages."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from documents import services
from ims.models import Notification
from tests.documents.factories import effective_document

pytestmark = pytest.mark.django_db

KIND = "documents.ack_reminder"


def test_one_reminder_per_person_per_day_then_again_tomorrow(world):
    document = effective_document(world, distribute_to=[world.school])
    revision = document.effective_revision
    today = timezone.localdate()
    sent, already = services.remind_unread(revision, actor=world.principal, today=today)
    assert (sent, already) == (2, 0)  # principal and teacher of the school
    assert services.remind_unread(revision, actor=world.principal, today=today) == (0, 2)
    assert services.remind_unread(revision, actor=world.iso, today=today) == (0, 2)
    assert Notification.objects.filter(kind=KIND, user=world.teacher).count() == 1
    assert services.remind_unread(revision, actor=world.principal, today=today + timedelta(1))[0]
    assert Notification.objects.filter(kind=KIND, user=world.teacher).count() == 2


def test_those_who_acknowledged_are_not_reminded(world):
    document = effective_document(world, distribute_to=[world.school])
    revision = document.effective_revision
    services.revision_opened(revision, actor=world.teacher, via="view")
    services.revision_acknowledge(revision, actor=world.teacher)
    services.remind_unread(revision, actor=world.principal)
    assert not Notification.objects.filter(kind=KIND, user=world.teacher).exists()
    assert Notification.objects.filter(kind=KIND, user=world.principal).exists()


def test_only_people_the_viewer_manages_are_reminded(world):
    document = effective_document(
        world, distribute_to=[world.school, world.school2], confidentiality="public"
    )
    services.remind_unread(document.effective_revision, actor=world.principal2)
    reminded = set(Notification.objects.filter(kind=KIND).values_list("user__username", flat=True))
    assert reminded == {"principal2"}


def test_a_teacher_manages_nobody_and_is_refused(world):
    document = effective_document(world, distribute_to=[world.school])
    with pytest.raises(PermissionDenied):
        services.remind_unread(document.effective_revision, actor=world.teacher)
    assert not Notification.objects.filter(kind=KIND).exists()


def test_remind_button_owner_member_outsider(world, client_for):
    document = effective_document(world, distribute_to=[world.school])
    revision = document.effective_revision
    url = reverse("documents:remind_unread", args=[revision.pk])
    detail = reverse("documents:document_detail", args=[document.pk])
    assert 'data-testid="remind"' in client_for(world.iso).get(detail).content.decode()
    response = client_for(world.iso).post(url, follow=True)
    assert "2" in " ".join(str(m) for m in response.context["messages"])
    Notification.objects.filter(kind=KIND).delete()
    # A member with fewer rights: refused with a message, nothing sent.
    response = client_for(world.teacher).post(url, follow=True)
    assert response.status_code == 200
    assert not Notification.objects.filter(kind=KIND).exists()
    # An outsider cannot tell it exists.
    assert client_for(world.principal2).post(url).status_code == 404
    assert not Notification.objects.filter(kind=KIND).exists()
    assert client_for(world.iso).get(url).status_code == 405
