"""Actions are re-dated with a reason or handed over, both recorded; extensions show."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ims.models import Notification, TransitionEvent
from ims.transitions import TransitionError
from nonconformities import services
from nonconformities.models import CorrectiveAction, Nonconformity
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def day(n):
    return timezone.localdate() + timedelta(days=n)


def test_extensions_are_counted_and_the_original_date_kept(loop, world):
    nc = loop.in_action()
    action = loop.action
    first = action.due
    services.action_redate(action, actor=world.principal, due=day(20), reason="Chờ kinh phí")
    services.action_redate(action, actor=world.principal, due=day(15), reason="Sớm hơn")
    services.action_redate(action, actor=world.iso, due=day(30), reason="Nghỉ Tết")
    action.refresh_from_db()
    assert action.due == day(30) and action.original_due == first
    assert action.extensions == 2  # moving it earlier is not an extension
    events = TransitionEvent.objects.filter(action="redate").order_by("pk")
    assert [e.actor for e in events] == [world.principal, world.principal, world.iso]
    assert events[0].reason.startswith(f"{first:%d/%m/%Y} → {day(20):%d/%m/%Y}")
    assert action.history.first().history_change_reason == "Nghỉ Tết"
    assert Nonconformity.objects.with_extensions().get(pk=nc.pk).extensions == 2


def test_redate_refusals_change_nothing(loop, world):
    loop.in_action()
    action = loop.action
    with pytest.raises(TransitionError):  # the owner (staff) cannot move their own deadline
        services.action_redate(action, actor=world.teacher, due=day(20), reason="x")
    with pytest.raises(ValidationError):
        services.action_redate(action, actor=world.principal, due=day(20), reason="  ")
    with pytest.raises(ValidationError):
        services.action_redate(action, actor=world.principal, due=day(-1), reason="x")
    action.refresh_from_db()
    assert action.extensions == 0 and action.original_due is None
    assert not TransitionEvent.objects.filter(action="redate").exists()


def test_redate_cannot_pass_the_planned_effectiveness_check(loop, world):
    nc = loop.in_action()
    services.nonconformity_plan_verification(
        nc, actor=world.principal, verifier=world.director, planned_on=day(40)
    )
    with pytest.raises(ValidationError):
        services.action_redate(loop.action, actor=world.principal, due=day(41), reason="x")


def test_reassign_hands_over_and_notifies_the_new_owner(
    loop, world, django_capture_on_commit_callbacks
):
    loop.in_action()
    action = loop.action
    colleague = UserFactory(username="colleague", full_name="Lò Văn Phong")
    MembershipFactory(user=colleague, unit=world.school, role="staff")
    with django_capture_on_commit_callbacks(execute=True):
        services.action_reassign(
            action, actor=world.principal, owner=colleague, reason="Cô Mai nghỉ sinh"
        )
    action.refresh_from_db()
    assert action.owner == colleague
    event = TransitionEvent.objects.get(action="reassign")
    assert "Lò Văn Phong" in event.reason and "Cô Mai nghỉ sinh" in event.reason
    assert Notification.objects.filter(user=colleague, kind="nc_action_assigned").exists()
    # the previous owner can no longer complete it; the new one can
    assert not action.can_complete(world.teacher) and action.can_complete(colleague)


def test_reassign_refuses_the_planned_verifier_and_staff(loop, world):
    nc = loop.in_action()
    services.nonconformity_plan_verification(
        nc, actor=world.principal, verifier=world.director, planned_on=day(40)
    )
    with pytest.raises(ValidationError):
        services.action_reassign(
            loop.action, actor=world.principal, owner=world.director, reason="x"
        )
    with pytest.raises(TransitionError):
        services.action_reassign(
            loop.action, actor=world.teacher, owner=world.principal, reason="x"
        )
    loop.action.refresh_from_db()
    assert loop.action.owner == world.teacher


def test_redate_and_reassign_views_owner_member_outsider(loop, world, client_for):
    nc = loop.in_action()
    action = loop.action
    redate = reverse("nonconformities:action_redate", args=[nc.pk, action.pk])
    reassign = reverse("nonconformities:action_reassign", args=[nc.pk, action.pk])
    data = {f"d{action.pk}-due": day(25).isoformat(), f"d{action.pk}-reason": "Chờ phê duyệt"}
    handover = {f"r{action.pk}-owner": world.iso.pk, f"r{action.pk}-reason": "Chuyển"}
    for user, status in [(world.principal2, 404), (world.teacher, 400)]:
        assert client_for(user).post(redate, data).status_code == status
        assert client_for(user).post(reassign, handover).status_code == status
    action.refresh_from_db()
    assert action.due != day(25) and action.owner == world.teacher
    # another school's principal is outside the NC's people scope
    outsider_owner = {**handover, f"r{action.pk}-owner": world.principal2.pk}
    assert client_for(world.principal).post(reassign, outsider_owner).status_code == 400
    response = client_for(world.principal).post(redate, data)
    assert response.status_code == 302 and response["Location"].endswith("#step-actions")
    assert client_for(world.principal).post(reassign, handover).status_code == 302
    action.refresh_from_db()
    assert action.due == day(25) and action.extensions == 1 and action.owner == world.iso
    page = client_for(world.principal).get(nc.get_absolute_url()).content.decode()
    assert 'data-testid="nc-extended"' in page


def test_register_shows_extensions(loop, world, client_for):
    nc = loop.in_action()
    services.action_redate(loop.action, actor=world.principal, due=day(20), reason="x")
    services.action_redate(loop.action, actor=world.principal, due=day(25), reason="y")
    page = client_for(world.iso).get(reverse("nonconformities:register")).content.decode()
    row = page.split(nc.number)[1].split("</tr>")[0]
    assert 'data-testid="nc-register-extended"' in row and "×2" in row
    # the owner's own list names the original date
    page = client_for(world.teacher).get(reverse("nonconformities:register")).content.decode()
    todo = page.split('data-testid="nc-todo"')[1].split("</section>")[0]
    assert 'data-testid="nc-extended"' in todo


def test_register_with_extensions_keeps_its_query_count(
    loop, world, client_for, django_assert_max_num_queries
):
    url = reverse("nonconformities:register")
    client = client_for(world.iso)
    loop.in_action()
    client.get(url)
    with django_assert_max_num_queries(16) as small:
        client.get(url)
    for _ in range(15):
        loop.in_action()
    for action in CorrectiveAction.objects.all():
        services.action_redate(action, actor=world.iso, due=day(30), reason="x")
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(url)
