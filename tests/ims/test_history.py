"""Every change to core records is kept in history with who made it, and why when given."""

from django.urls import reverse
from simple_history.utils import update_change_reason

from ims.models import OrgUnit, TransitionEvent
from ims.transitions import record_transition


def test_unit_changes_keep_history_with_reason(world):
    world.school.name = "Trường Tiểu học Tô Hiệu mới"
    world.school.save()
    update_change_reason(world.school, "Đổi tên theo quyết định 123/QĐ-UBND")
    latest = world.school.history.first()
    assert latest.name == "Trường Tiểu học Tô Hiệu mới"
    assert latest.history_change_reason == "Đổi tên theo quyết định 123/QĐ-UBND"
    assert latest.prev_record.name == "Trường Tiểu học Tô Hiệu"


def test_change_through_a_request_records_the_user(world, client_for):
    world.director.is_staff = world.director.is_superuser = True
    world.director.save()
    unit = world.school
    url = reverse("admin:ims_orgunit_change", args=[unit.pk])
    client = client_for(world.director)
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "levels"}
    data.update(
        {
            "name": "Trường Tiểu học Tô Hiệu (sửa)",
            "kind": unit.kind_id,
            "parent": unit.parent_id,
            "is_active": "on",
            "code": unit.code,
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.content[:500]
    assert OrgUnit.objects.get(pk=unit.pk).history.first().history_user == world.director


def test_transition_events_are_append_only(world):
    import pytest
    from django.core.exceptions import PermissionDenied

    event = record_transition(
        world.school, actor=world.iso, action="test", from_state="a", to_state="b"
    )
    event.reason = "rewritten"
    with pytest.raises(PermissionDenied):
        event.save()
    with pytest.raises(PermissionDenied):
        TransitionEvent.objects.all().delete()
    assert TransitionEvent.objects.for_object(world.school).get().actor == world.iso
