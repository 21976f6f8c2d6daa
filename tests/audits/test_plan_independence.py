"""AUD-R1 is checked again when an audit's scope or processes change, not only when a member
joins: a change that would put a current team member in conflict is refused, naming who and why,
unless the conflict is one already recorded for them with an override."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import translation

from audits import services
from audits.models import Audit, Process
from audits.services import AuditRuleError
from ims.models import TransitionEvent
from tests.audits.factories import make_audit


def _update(audit, actor, *, scope=None, processes=None, **values):
    return services.audit_update_plan(
        audit,
        actor=actor,
        values=values,
        scope_units=scope if scope is not None else list(audit.scope_units.all()),
        processes=processes if processes is not None else list(audit.processes.all()),
        clauses=list(audit.clauses.all()),
        auditees=list(audit.auditees.all()),
    )


def test_widening_the_scope_to_a_team_members_unit_is_refused_naming_them(world):
    audit = make_audit(world)  # team: leadauditor, and auditor (staff in the division)
    with translation.override("en"), pytest.raises(AuditRuleError) as refused:
        _update(audit, world.iso, scope=[world.school, world.division])
    message = " ".join(refused.value.messages)
    assert refused.value.rule == "AUD-R1" and "AUD-R1" not in message  # people read the reason
    assert world.auditor.display_name in message and world.division.label in message
    assert world.leadauditor.display_name not in message
    assert list(audit.scope_units.all()) == [world.school]
    assert not TransitionEvent.objects.filter(action="plan_change").exists()


def test_adding_a_process_owned_by_a_team_member_is_refused(world):
    process = Process.objects.create(
        code="QT-DH", name="Dạy học", unit=world.division, owner=world.leadauditor
    )
    audit = make_audit(world)
    with translation.override("en"), pytest.raises(AuditRuleError) as refused:
        _update(audit, world.iso, processes=[process])
    message = " ".join(refused.value.messages)
    assert world.leadauditor.display_name in message and "QT-DH" in message
    assert not audit.processes.exists()


def test_a_change_that_creates_no_conflict_is_saved_and_recorded(world):
    audit = make_audit(world)
    _update(audit, world.iso, scope=[world.school, world.school2], title="Phạm vi hai trường")
    audit.refresh_from_db()
    assert set(audit.scope_units.all()) == {world.school, world.school2}
    assert audit.title == "Phạm vi hai trường"
    assert TransitionEvent.objects.filter(action="plan_change").count() == 1


def test_a_conflict_already_covered_by_an_approved_override_does_not_block_the_change(world):
    audit = make_audit(world, scope=[world.division], team=False)
    member = services.audit_assign_team(
        audit,
        actor=world.iso,
        user=world.auditor,
        role="auditor",
        override_reason="Chỉ có hai chuyên gia được đào tạo.",
    )
    services.team_override_approve(member, actor=world.director)
    _update(audit, world.iso, scope=[world.division, world.school])
    assert set(audit.scope_units.all()) == {world.division, world.school}


def test_a_new_conflict_beyond_the_approved_override_is_refused(world):
    process = Process.objects.create(
        code="QT-KT", name="Kiểm tra", unit=world.root, owner=world.auditor
    )
    audit = make_audit(world, scope=[world.division], team=False)
    member = services.audit_assign_team(
        audit, actor=world.iso, user=world.auditor, role="auditor", override_reason="Lý do."
    )
    services.team_override_approve(member, actor=world.director)
    with pytest.raises(AuditRuleError, match="AUD-R1"):
        _update(audit, world.iso, processes=[process])


def test_only_a_manager_changes_the_plan(world):
    audit = make_audit(world)
    with pytest.raises(PermissionDenied):
        _update(audit, world.auditor, title="Đổi tên")
    assert Audit.objects.get(pk=audit.pk).title != "Đổi tên"


def _plan_data(audit, **changes):
    data = {
        "programme": audit.programme_id,
        "code": audit.code,
        "kind": audit.kind,
        "external_body": audit.external_body,
        "external_lead_auditor": audit.external_lead_auditor,
        "title": audit.title,
        "objectives": audit.objectives,
        "scope_units": [u.pk for u in audit.scope_units.all()],
        "processes": [p.pk for p in audit.processes.all()],
        "clauses": [c.pk for c in audit.clauses.all()],
        "planned_start": audit.planned_start.isoformat(),
        "planned_end": audit.planned_end.isoformat(),
        "places": audit.places,
        "auditees": [u.pk for u in audit.auditees.all()],
    }
    data.update(changes)
    return data


def test_edit_page_shows_the_refusal_and_keeps_the_scope(world, client_for):
    world.iso.language = "en"
    world.iso.save(update_fields=["language"])
    audit = make_audit(world)
    url = reverse("audits:audit_edit", args=[audit.pk])
    response = client_for(world.iso).post(
        url, _plan_data(audit, scope_units=[world.school.pk, world.division.pk])
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert world.auditor.display_name in page  # the refusal names them
    assert "AUD-R1" not in page  # the reason, without the rule's code
    assert list(audit.scope_units.all()) == [world.school]


@pytest.mark.parametrize(("who", "status"), [("teacher", 403), ("principal2", 404)])
def test_edit_page_refuses_members_and_outsiders(world, client_for, who, status):
    audit = make_audit(world)
    response = client_for(getattr(world, who)).post(
        reverse("audits:audit_edit", args=[audit.pk]),
        _plan_data(audit, scope_units=[world.school.pk, world.school2.pk]),
    )
    assert response.status_code == status
    assert list(audit.scope_units.all()) == [world.school]
