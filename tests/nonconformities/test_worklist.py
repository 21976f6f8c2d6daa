"""The nonconformities module's items on the task list, and the NC hand-over notifications."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ims import worklist
from ims.models import Notification
from nonconformities import services

pytestmark = pytest.mark.django_db


def titles(user, kind):
    return [item.title for item in worklist.collect(user) if item.kind == kind]


def label(nc):
    return f"{nc.number} {nc.title}"


def test_the_unit_head_sees_each_step_of_her_units_nc_until_it_is_done(loop, world):
    nc = loop.raised()
    assert titles(world.principal, "nonconformities.contain") == [label(nc)]
    assert titles(world.teacher, "nonconformities.contain") == []  # staff: not the head
    assert titles(world.principal2, "nonconformities.contain") == []  # another school
    second = loop.contained()  # a second NC, taken one step further
    assert titles(world.principal, "nonconformities.analyse") == [label(second)]
    assert titles(world.principal, "nonconformities.contain") == [label(nc)]


def test_a_head_elsewhere_who_is_only_staff_at_the_school_does_not_see_its_nc(loop, world):
    from ims.models import Role
    from tests.factories import MembershipFactory

    MembershipFactory(user=world.head, unit=world.school, role=Role.STAFF)
    nc = loop.raised()
    assert label(nc) not in titles(world.head, "nonconformities.contain")
    assert titles(world.principal, "nonconformities.contain") == [label(nc)]


def test_a_contained_then_analysed_nc_moves_on_in_the_list(loop, world):
    nc = loop.contained()
    assert label(nc) in titles(world.principal, "nonconformities.analyse")
    nc = services.nonconformity_analyse(
        nc,
        actor=world.principal,
        root_cause="Chưa phân công người lưu biên bản.",
        whys=["Biên bản không được lưu"],
    )
    assert label(nc) not in titles(world.principal, "nonconformities.analyse")
    assert label(nc) in titles(world.principal, "nonconformities.plan")


def test_the_action_owner_sees_her_action_until_it_is_completed(loop, world):
    nc = loop.in_action()
    items = [i for i in worklist.collect(world.teacher) if i.kind == "nonconformities.action"]
    assert len(items) == 1 and items[0].due == loop.action.due
    assert items[0].url == nc.get_absolute_url()
    assert titles(world.principal2, "nonconformities.action") == []
    services.action_complete(loop.action, actor=world.teacher, evidence="Đã ban hành lần 2.")
    assert titles(world.teacher, "nonconformities.action") == []


def test_the_planned_verifier_sees_the_check_until_it_is_done(loop, world):
    nc = loop.awaiting_verification()
    services.nonconformity_plan_verification(
        nc, actor=world.principal, verifier=world.head, planned_on=loop.action.due + timedelta(1)
    )
    items = [i for i in worklist.collect(world.head) if i.kind == "nonconformities.verify"]
    assert [i.title for i in items] == [label(nc)]
    assert titles(world.principal2, "nonconformities.verify") == []
    services.nonconformity_verify(
        nc,
        actor=world.head,
        result="effective",
        notes="Không lặp lại.",
        early_reason="Kiểm tra sớm.",
    )
    assert titles(world.head, "nonconformities.verify") == []


def test_a_verified_nc_waits_for_a_closer_who_did_not_open_it(loop, world):
    nc = loop.verified()  # opened by iso
    assert titles(world.principal, "nonconformities.close") == [label(nc)]
    assert titles(world.iso, "nonconformities.close") == []  # the opener never closes
    assert titles(world.principal2, "nonconformities.close") == []
    assert titles(world.teacher, "nonconformities.close") == []
    services.nonconformity_close(nc, actor=world.principal, password="demo")
    assert titles(world.principal, "nonconformities.close") == []


def test_a_head_who_owned_one_of_its_actions_does_not_see_it_to_close(loop, world):
    nc = loop.extent_checked()
    action = services.action_add(
        nc,
        actor=world.principal,
        description="Hiệu trưởng tự làm.",
        owner=world.principal,
        due=timezone.localdate() + timedelta(days=3),
    )
    services.action_complete(action, actor=world.principal, evidence="Đã làm.")
    nc.refresh_from_db()
    nc = services.nonconformity_verify(
        nc, actor=world.director, result="effective", notes="Tốt.", early_reason="Sớm."
    )
    assert nc.status == "verified"
    assert titles(world.principal, "nonconformities.close") == []
    assert titles(world.iso, "nonconformities.close") == []  # iso opened it (the loop's opener)


def test_the_register_and_the_task_list_count_the_same_actions(loop, world, client_for):
    loop.in_action()
    page = client_for(world.teacher).get("/nonconformities/")
    assert len(page.context["my_actions"]) == len(titles(world.teacher, "nonconformities.action"))


# --- hand-over notifications ---------------------------------------------------------------


def _inbox(user, kind):
    return list(Notification.objects.filter(user=user, kind=kind))


def test_the_unit_head_hears_of_a_new_nc_and_it_needs_her(
    loop, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        nc = loop.raised()
    [raised] = _inbox(world.principal, "nc_raised")
    assert raised.url == nc.get_absolute_url() and raised.category == "action"
    assert _inbox(world.principal2, "nc_raised") == []


def test_the_verifier_hears_when_assigned(loop, world, django_capture_on_commit_callbacks):
    nc = loop.awaiting_verification()
    with django_capture_on_commit_callbacks(execute=True):
        services.nonconformity_plan_verification(
            nc,
            actor=world.principal,
            verifier=world.head,
            planned_on=loop.action.due + timedelta(days=1),
        )
    [assigned] = _inbox(world.head, "nc_verifier_assigned")
    assert assigned.url == nc.get_absolute_url() and assigned.category == "action"
    assert nc.number in assigned.title


def test_a_verifier_planned_and_verified_in_one_transaction_is_still_told(
    loop, world, django_capture_on_commit_callbacks
):
    """The hand-over is sent after commit, when the NC may have moved on (seed_demo plans and
    verifies in one transaction): the planned date and person come from the plan itself."""
    nc = loop.awaiting_verification()
    with django_capture_on_commit_callbacks(execute=True):
        services.nonconformity_plan_verification(
            nc,
            actor=world.principal,
            verifier=world.head,
            planned_on=loop.action.due + timedelta(1),
        )
        services.nonconformity_verify(
            nc, actor=world.head, result="not_effective", notes="Lặp lại.", early_reason="Sớm."
        )
    assert len(_inbox(world.head, "nc_verifier_assigned")) == 1


def test_the_opener_hears_when_her_nc_is_verified_and_closed(
    loop, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        nc = loop.verified()  # opened by iso, verified by the director
    [verified] = _inbox(world.iso, "nc_verified")
    assert nc.number in verified.title and verified.category == "info"
    assert _inbox(world.iso, "nc_closed") == []
    with django_capture_on_commit_callbacks(execute=True):
        services.nonconformity_close(nc, actor=world.principal, password="demo")
    [closed] = _inbox(world.iso, "nc_closed")
    assert closed.url == nc.get_absolute_url()


def test_containment_assigned_to_someone_is_on_their_list_with_its_due_date(loop, world):
    nc = loop.raised()
    due = timezone.localdate() + timedelta(days=3)
    assert titles(world.head, "nonconformities.contain_assigned") == []
    services.nonconformity_assign_containment(
        nc, actor=world.principal, assignee=world.head, due=due
    )
    items = [
        i for i in worklist.collect(world.head) if i.kind == "nonconformities.contain_assigned"
    ]
    assert [i.title for i in items] == [label(nc)] and items[0].due == due
    assert items[0].url.endswith("#step-containment")
    assert titles(world.teacher, "nonconformities.contain_assigned") == []
    # the head of the unit still sees it as her unit's step, now with the containment's date
    heads = [i for i in worklist.collect(world.principal) if i.kind == "nonconformities.contain"]
    assert heads[0].due == due
    services.nonconformity_contain(nc, actor=world.head, containment="Đã xử lý.")
    assert titles(world.head, "nonconformities.contain_assigned") == []


def test_a_head_assigned_her_own_units_containment_sees_it_once(loop, world):
    nc = loop.raised()
    services.nonconformity_assign_containment(
        nc,
        actor=world.iso,
        assignee=world.principal,
        due=timezone.localdate() + timedelta(days=2),
    )
    mine = [i for i in worklist.collect(world.principal) if label(nc) == i.title]
    assert [i.kind for i in mine] == ["nonconformities.contain_assigned"]
