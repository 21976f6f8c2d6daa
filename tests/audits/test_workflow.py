"""The audit's declared workflow decides the page's buttons; planning an audit and writing its
report go through services that check who may."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied

from audits import services
from audits.models import Audit, AuditProgramme
from ims.models import TransitionEvent
from ims.workflow import allowed_steps
from tests.audits.factories import clauses, make_audit

pytestmark = pytest.mark.django_db


def test_planning_an_audit_records_its_first_step(world):
    programme = AuditProgramme.objects.create(
        unit=world.root, start_year=2025, title="Chương trình", owner=world.iso
    )
    audit = services.audit_create(
        actor=world.iso,
        values={
            "programme": programme,
            "code": "DG-900",
            "title": "Đánh giá nội bộ",
            "objectives": "Mục tiêu",
            "planned_start": date(2025, 11, 10),
            "planned_end": date(2025, 11, 11),
        },
        scope_units=[world.school],
        processes=[],
        clauses=clauses("7.1.3"),
        auditees=[world.principal],
    )
    assert audit.status == Audit.Status.PLANNED and audit.created_by == world.iso
    assert list(audit.scope_units.all()) == [world.school]
    event = TransitionEvent.objects.for_object(audit).get()
    assert (event.action, event.from_state, event.to_state) == ("plan", "", "planned")


def test_only_the_lead_auditor_writes_the_report_parts(world):
    audit = make_audit(world, status=Audit.Status.REPORTING)
    with pytest.raises(PermissionDenied):
        services.audit_update_report(audit, actor=world.auditor, report={"conclusions": "Tốt"})
    audit.refresh_from_db()
    assert audit.conclusions == ""
    services.audit_update_report(audit, actor=world.leadauditor, report={"conclusions": "Tốt"})
    audit.refresh_from_db()
    assert audit.conclusions == "Tốt"


def test_the_steps_offered_follow_the_state_and_the_person(world):
    audit = make_audit(world, status=Audit.Status.PLAN_APPROVED)
    assert allowed_steps(audit, world.leadauditor) == {"start"}
    assert allowed_steps(audit, world.iso) == {"start", "revise_plan"}
    assert allowed_steps(audit, world.principal) == set()


def test_the_audit_page_shows_only_the_steps_the_person_may_take(world, client):
    audit = make_audit(world, status=Audit.Status.PLAN_APPROVED)
    client.force_login(world.leadauditor)
    page = client.get(audit.get_absolute_url()).content.decode()
    assert 'data-testid="audit-start"' in page
    assert "revise_plan" not in page
    client.force_login(world.iso)
    page = client.get(audit.get_absolute_url()).content.decode()
    assert "revise_plan" in page


def test_only_a_manager_of_the_unit_plans_a_programme(world):
    values = {"unit": world.root, "start_year": 2026, "title": "Chương trình 2026–2027"}
    with pytest.raises(PermissionDenied):
        services.programme_create(actor=world.teacher, values=values)
    assert not AuditProgramme.objects.filter(start_year=2026).exists()
    programme = services.programme_create(actor=world.iso, values=values)
    assert programme.owner == world.iso and programme.status == AuditProgramme.Status.DRAFT


def test_an_approved_programme_is_not_changed(world):
    programme = AuditProgramme.objects.create(
        unit=world.root, start_year=2025, title="Chương trình", owner=world.iso
    )
    services.programme_update(programme, actor=world.iso, values={"title": "Đổi tên"})
    programme.refresh_from_db()
    assert programme.title == "Đổi tên"
    services.programme_approve(programme, actor=world.director, password="demo")
    with pytest.raises(PermissionDenied):
        services.programme_update(programme, actor=world.iso, values={"title": "Lần nữa"})
    programme.refresh_from_db()
    assert programme.title == "Đổi tên"
