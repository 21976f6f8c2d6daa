"""Containment is given to a person with a due date; they see the NC, contain it, and are told."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ims.models import Notification, TransitionEvent
from ims.transitions import TransitionError
from nonconformities import services
from nonconformities.models import Nonconformity

pytestmark = pytest.mark.django_db


def soon(days=3):
    return timezone.localdate() + timedelta(days=days)


def test_head_assigns_containment_and_the_assignee_is_notified(
    loop, world, django_capture_on_commit_callbacks
):
    nc = loop.raised()
    with django_capture_on_commit_callbacks(execute=True):
        services.nonconformity_assign_containment(
            nc, actor=world.principal, assignee=world.teacher, due=soon()
        )
    nc.refresh_from_db()
    assert nc.containment_assignee == world.teacher and nc.containment_due == soon()
    event = TransitionEvent.objects.get(action="assign_containment")
    assert event.actor == world.principal and soon().strftime("%d/%m/%Y") in event.reason
    notice = Notification.objects.get(user=world.teacher, kind="nc_containment_assigned")
    assert nc.number in str(notice.title) and notice.url.endswith("#step-containment")


def test_assignee_from_an_office_sees_and_contains_the_nc(loop, world):
    """The division head has no role at the school: the assignment alone lets them in."""
    nc = loop.raised()
    assert not Nonconformity.objects.for_user(world.head).filter(pk=nc.pk).exists()
    assert not nc.can_contain(world.head)
    services.nonconformity_assign_containment(
        nc, actor=world.principal, assignee=world.head, due=soon()
    )
    nc.refresh_from_db()
    assert Nonconformity.objects.for_user(world.head).filter(pk=nc.pk).exists()
    services.nonconformity_contain(nc, actor=world.head, containment="Đã thu hồi hồ sơ lỗi.")
    nc.refresh_from_db()
    assert nc.status == Nonconformity.Status.CONTAINED and nc.contained_by == world.head


def test_staff_cannot_assign_and_past_dates_are_refused(loop, world):
    nc = loop.raised()
    with pytest.raises(TransitionError):
        services.nonconformity_assign_containment(
            nc, actor=world.teacher, assignee=world.teacher, due=soon()
        )
    with pytest.raises(ValidationError):
        services.nonconformity_assign_containment(
            nc, actor=world.principal, assignee=world.teacher, due=soon(-1)
        )
    nc.refresh_from_db()
    assert nc.containment_assignee is None
    assert not TransitionEvent.objects.filter(action="assign_containment").exists()


def test_containment_cannot_be_assigned_once_recorded(loop, world):
    nc = loop.contained()
    with pytest.raises(TransitionError):
        services.nonconformity_assign_containment(
            nc, actor=world.principal, assignee=world.teacher, due=soon()
        )


def test_assign_view_owner_member_outsider(loop, world, client_for):
    nc = loop.raised()
    url = reverse("nonconformities:assign_containment", args=[nc.pk])
    data = {"containment-assignee": world.teacher.pk, "containment-due": soon().isoformat()}
    assert client_for(world.principal2).post(url, data).status_code == 404
    assert client_for(world.teacher).post(url, data).status_code == 400  # staff: refused
    nc.refresh_from_db()
    assert nc.containment_assignee is None
    # someone outside the NC's people scope (another school's principal) cannot be chosen
    response = client_for(world.principal).post(
        url, {**data, "containment-assignee": world.principal2.pk}
    )
    assert response.status_code == 400
    nc.refresh_from_db()
    assert nc.containment_assignee is None
    response = client_for(world.principal).post(url, data)
    assert response.status_code == 302
    assert response["Location"].endswith("?done=assign#step-containment")
    nc.refresh_from_db()
    assert nc.containment_assignee == world.teacher
    page = client_for(world.teacher).get(nc.get_absolute_url()).content.decode()
    assert 'data-testid="nc-containment-assignee"' in page and "nc-contain" in page
    page = client_for(world.principal).get(response["Location"]).content.decode()
    assert 'data-testid="nc-step-done"' in page


def test_overdue_containment_is_flagged_on_the_nc(loop, world, client_for):
    nc = loop.raised()
    services.nonconformity_assign_containment(
        nc, actor=world.principal, assignee=world.teacher, due=soon(0)
    )
    Nonconformity.objects.filter(pk=nc.pk).update(containment_due=soon(-2))
    nc.refresh_from_db()
    assert nc.is_containment_overdue()
    page = client_for(world.teacher).get(nc.get_absolute_url()).content.decode()
    section = page.split('id="step-containment"')[1].split("</section>")[0]
    assert "badge bad" in section
