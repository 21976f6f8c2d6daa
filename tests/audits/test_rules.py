"""AUD-R1 … AUD-R5, each allowed once and refused once."""

import pytest
from axes.models import AccessAttempt
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from audits import services
from audits.models import Audit, AuditTeamMember, Finding
from audits.services import AuditRuleError
from ims.models import Membership, Role, Signature, TransitionEvent
from ims.signatures import SignatureError
from nonconformities.models import Nonconformity
from tests.audits.factories import (
    clauses,
    fill_report,
    grade,
    make_audit,
    make_finding,
    pdf_upload,
)

# --- AUD-R1 -------------------------------------------------------------------------------------


def test_member_of_an_audited_unit_is_refused_on_the_team(world):
    audit = make_audit(world, scope=[world.division], team=False)
    # auditor is staff in the division: not independent of it
    with pytest.raises(AuditRuleError, match="AUD-R1"):
        services.audit_assign_team(audit, actor=world.iso, user=world.auditor, role="auditor")
    assert not audit.team.exists()


def test_head_of_a_unit_below_the_scope_is_refused(world):
    audit = make_audit(world, scope=[world.commune], team=False)
    with pytest.raises(AuditRuleError, match="đứng đầu"):
        services.audit_assign_team(audit, actor=world.iso, user=world.principal, role="auditor")


def test_owner_of_an_audited_process_is_refused(world):
    from audits.models import Process

    process = Process.objects.create(
        code="QT-DH", name="Quá trình dạy học", unit=world.quality, owner=world.leadauditor
    )
    audit = make_audit(world, team=False)
    audit.processes.add(process)
    with pytest.raises(AuditRuleError, match="QT-DH"):
        services.audit_assign_team(audit, actor=world.iso, user=world.leadauditor, role="lead")


def test_independent_auditor_is_assigned(world):
    audit = make_audit(world, team=False)
    member = services.audit_assign_team(audit, actor=world.iso, user=world.leadauditor, role="lead")
    assert member.is_cleared and audit.lead_auditor == world.leadauditor


def test_override_is_recorded_and_blocks_the_plan_until_the_quality_manager_approves(world):
    audit = make_audit(world, scope=[world.division], team=False)
    services.audit_assign_team(audit, actor=world.iso, user=world.leadauditor, role="lead")
    member = services.audit_assign_team(
        audit,
        actor=world.iso,
        user=world.auditor,
        role="auditor",
        override_reason="Chỉ có hai chuyên gia được đào tạo.",
    )
    assert member.override_pending
    assert "thuộc" in member.conflict or "belongs" in member.conflict
    with pytest.raises(AuditRuleError, match="AUD-R1"):
        services.audit_approve_plan(audit, actor=world.iso)
    with pytest.raises(PermissionDenied):
        services.team_override_approve(member, actor=world.auditor)
    with pytest.raises(PermissionDenied):
        services.team_override_approve(member, actor=world.principal)
    services.team_override_approve(member, actor=world.iso)
    member.refresh_from_db()
    assert member.override_approved_by == world.iso and member.override_approved_at
    assert member.override_reason == "Chỉ có hai chuyên gia được đào tạo."
    event = TransitionEvent.objects.for_object(audit).get(action="team_override_approve")
    assert "Chỉ có hai chuyên gia" in event.reason and event.actor == world.iso
    services.audit_approve_plan(audit, actor=world.iso)
    assert Audit.objects.get(pk=audit.pk).status == Audit.Status.PLAN_APPROVED


def test_a_pending_override_member_cannot_record(world):
    audit = make_audit(world, scope=[world.division], status=Audit.Status.IN_PROGRESS, team=False)
    AuditTeamMember.objects.create(
        audit=audit, user=world.leadauditor, role="lead", added_by=world.iso
    )
    AuditTeamMember.objects.create(
        audit=audit,
        user=world.auditor,
        role="auditor",
        conflict="x",
        override_reason="y",
        added_by=world.iso,
    )
    assert not Audit.objects.get(pk=audit.pk).can_record(world.auditor)


def test_database_refuses_a_conflict_without_reason(world):
    from django.db import IntegrityError, transaction

    audit = make_audit(world, team=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditTeamMember.objects.create(
            audit=audit, user=world.auditor, conflict="belongs", added_by=world.iso
        )


# --- AUD-R2 -------------------------------------------------------------------------------------


def test_audit_cannot_start_before_its_plan_is_approved(world):
    audit = make_audit(world)
    with pytest.raises(AuditRuleError, match="AUD-R2"):
        services.audit_start(audit, actor=world.leadauditor)
    assert Audit.objects.get(pk=audit.pk).status == Audit.Status.PLANNED


def test_audit_cannot_start_without_a_lead_auditor(world):
    audit = make_audit(world, status=Audit.Status.PLAN_APPROVED, team=False)
    with pytest.raises(AuditRuleError, match="lead auditor|trưởng đoàn"):
        services.audit_start(audit, actor=world.iso)
    with pytest.raises(AuditRuleError, match="AUD-R2"):
        services.audit_approve_plan(make_audit(world, team=False), actor=world.iso)


def test_audit_starts_with_approved_plan_and_lead_and_gets_its_checklist(world):
    audit = make_audit(world)
    services.audit_approve_plan(audit, actor=world.iso)
    services.audit_start(audit, actor=world.leadauditor)
    audit.refresh_from_db()
    assert audit.status == Audit.Status.IN_PROGRESS and audit.started_at
    assert sorted(audit.checklist.values_list("clause__number", flat=True)) == [
        "7.1.3",
        "7.5.3",
        "8.5.1",
    ]
    steps = list(TransitionEvent.objects.for_object(audit).values_list("to_state", flat=True))
    assert steps == ["plan_approved", "in_progress"]


def test_only_lead_or_manager_starts(world):
    audit = make_audit(world, status=Audit.Status.PLAN_APPROVED)
    with pytest.raises(PermissionDenied):
        services.audit_start(audit, actor=world.auditor)


# --- AUD-R3 -------------------------------------------------------------------------------------


def _record(audit, world, **kwargs):
    data = {
        "actor": world.auditor,
        "grade": grade("minor_nc"),
        "clauses": clauses("7.1.3"),
        "unit": world.school,
        "statement": "Phòng học thiếu ánh sáng.",
        "notes": ["Quan sát lúc 9h"],
    }
    data.update(kwargs)
    return services.finding_record(audit, **data)


def test_finding_without_clause_is_refused(world):
    audit = make_audit(world, status=Audit.Status.IN_PROGRESS)
    with pytest.raises(AuditRuleError, match="AUD-R3"):
        _record(audit, world, clauses=[])
    assert not Finding.objects.exists()


def test_finding_without_evidence_is_refused(world):
    audit = make_audit(world, status=Audit.Status.IN_PROGRESS)
    with pytest.raises(AuditRuleError, match="AUD-R3"):
        _record(audit, world, notes=["   "])
    assert not Finding.objects.exists()


def test_finding_with_clause_and_evidence_is_recorded(world):
    audit = make_audit(world, status=Audit.Status.IN_PROGRESS)
    finding = _record(audit, world, references=["QT-07 lần ban hành 3"])
    assert finding.clauses.count() == 1
    assert sorted(finding.evidence.values_list("kind", flat=True)) == ["document", "note"]


def test_finding_outside_scope_or_criteria_is_refused(world):
    audit = make_audit(world, status=Audit.Status.IN_PROGRESS)
    with pytest.raises(Exception, match="phạm vi"):
        _record(audit, world, unit=world.school2)
    with pytest.raises(Exception, match="chuẩn mực"):
        _record(audit, world, clauses=clauses("9.3"))
    assert not Finding.objects.exists()


def test_finding_id_from_the_device_is_idempotent(world):
    audit = make_audit(world, status=Audit.Status.IN_PROGRESS)
    first = _record(audit, world, finding_id="5d1c8f5e-3a0b-4f8e-9d7a-2b1c0e9f8a76")
    again = _record(audit, world, finding_id="5d1c8f5e-3a0b-4f8e-9d7a-2b1c0e9f8a76")
    assert first.pk == again.pk and Finding.objects.count() == 1


def test_only_the_team_records_during_the_audit(world):
    audit = make_audit(world, status=Audit.Status.IN_PROGRESS)
    with pytest.raises(PermissionDenied):
        _record(audit, world, actor=world.principal)
    planned = make_audit(world)
    with pytest.raises(PermissionDenied):
        _record(planned, world)


# --- AUD-R4 and AUD-R5 --------------------------------------------------------------------------


@pytest.fixture
def reporting(world):
    audit = make_audit(world, status=Audit.Status.REPORTING)
    major = make_finding(audit, world, code="major_nc")
    minor = make_finding(audit, world, code="minor_nc")
    make_finding(audit, world, code="observation")
    make_finding(audit, world, code="good_practice")
    return audit, major, minor


def test_report_with_a_missing_part_cannot_be_issued(world, reporting):
    audit, *_ = reporting
    fill_report(audit)
    audit.conclusions = ""
    audit.save()
    with pytest.raises(AuditRuleError, match="AUD-R5.*(conclusions|kết luận)"):
        services.audit_issue_report(audit, actor=world.leadauditor, password="demo")
    audit.refresh_from_db()
    assert audit.status == Audit.Status.REPORTING
    assert not Signature.objects.exists() and not Nonconformity.objects.exists()


def test_complete_report_is_issued_with_the_lead_signature_and_opens_ncs(world, reporting):
    audit, major, minor = reporting
    fill_report(audit)
    services.audit_issue_report(audit, actor=world.leadauditor, password="demo", comment="OK")
    audit.refresh_from_db()
    assert audit.status == Audit.Status.REPORT_ISSUED and audit.report_issued_at
    signature = Signature.objects.for_object(audit).get()
    assert signature.signer == world.leadauditor and signature.meaning == "issued"
    assert signature.is_valid
    ncs = Nonconformity.objects.filter(source="internal_audit")
    assert ncs.count() == 2
    assert Nonconformity.objects.for_source(major).get().severity == "major"
    assert Nonconformity.objects.for_source(minor).get().severity == "minor"
    # issuing the report a second time is refused: one signature, one step, the same NCs
    with pytest.raises((PermissionDenied, ValidationError)):
        services.audit_issue_report(audit, actor=world.leadauditor, password="demo")
    assert Signature.objects.for_object(audit).count() == 1
    assert TransitionEvent.objects.filter(action="issue_report").count() == 1
    assert Nonconformity.objects.count() == 2


def test_external_audit_raises_external_audit_ncs(world):
    audit = make_audit(
        world,
        status=Audit.Status.REPORTING,
        kind="certification",
        external_body="QUACERT",
        external_lead_auditor="Trần Quốc Bảo",
        team=False,
    )
    finding = make_finding(audit, world, code="minor_nc")
    fill_report(audit)
    services.audit_attach_external_report(audit, actor=world.iso, upload=pdf_upload())
    services.audit_issue_report(audit, actor=world.iso, password="demo")
    assert Nonconformity.objects.for_source(finding).get().source == "external_audit"


def test_issue_refused_for_others_and_with_wrong_password(world, reporting, settings):
    audit, *_ = reporting
    fill_report(audit)
    with pytest.raises(PermissionDenied):
        services.audit_issue_report(audit, actor=world.auditor, password="demo")
    with pytest.raises(SignatureError):
        services.audit_issue_report(audit, actor=world.leadauditor, password="sai")
    assert Audit.objects.get(pk=audit.pk).status == Audit.Status.REPORTING
    assert not Signature.objects.exists() and not Nonconformity.objects.exists()
    assert AccessAttempt.objects.get(username="leadauditor").failures_since_start == 1


def test_signature_shows_invalid_after_the_report_changes(world, reporting):
    from ims.signatures import signatures_for

    audit, major, _minor = reporting
    fill_report(audit)
    services.audit_issue_report(audit, actor=world.leadauditor, password="demo")
    Finding.objects.filter(pk=major.pk).update(statement="Đã sửa sau khi ban hành")
    [signature] = signatures_for(Audit.objects.get(pk=audit.pk))
    assert not signature.valid


def test_finding_cannot_close_before_the_report_is_issued(world, reporting):
    audit, major, _minor = reporting
    with pytest.raises(AuditRuleError, match="AUD-R4"):
        services.finding_close(major, actor=world.leadauditor)
    assert Finding.objects.get(pk=major.pk).status == "open"


def test_finding_closes_after_issue_and_audit_closes_when_all_are_closed(world, reporting):
    audit, major, minor = reporting
    fill_report(audit)
    services.audit_issue_report(audit, actor=world.leadauditor, password="demo")
    services.finding_close(major, actor=world.leadauditor)
    assert Finding.objects.get(pk=major.pk).status == "closed"
    with pytest.raises(AuditRuleError):
        services.audit_close(audit, actor=world.iso)
    for finding in Finding.objects.filter(status="open"):
        services.finding_close(finding, actor=world.iso)
    with pytest.raises(PermissionDenied):
        services.audit_close(audit, actor=world.leadauditor)
    services.audit_close(audit, actor=world.iso)
    assert Audit.objects.get(pk=audit.pk).status == Audit.Status.CLOSED


def test_deactivated_manager_loses_rights(world, client_for):
    """The quality manager who owns the programme loses its manager rights with the role, even
    while still named its manager and still working elsewhere (a staff post, a commune)."""
    audit = make_audit(world)
    programme = audit.programme
    assert programme.owner == world.iso
    assert audit.can_approve_plan(world.iso) and programme.can_edit(world.iso)
    Membership.objects.filter(user=world.iso, role=Role.QUALITY_MANAGER).update(is_active=False)
    Membership.objects.create(user=world.iso, unit=world.commune, role=Role.QUALITY_MANAGER)
    audit = Audit.objects.get(pk=audit.pk)
    programme.refresh_from_db()
    assert programme.owner == world.iso  # still named, no longer a manager
    assert not programme.is_manager(world.iso) and not programme.can_edit(world.iso)
    assert not audit.is_manager(world.iso) and not audit.can_manage_team(world.iso)
    with pytest.raises(PermissionDenied):
        services.audit_approve_plan(audit, actor=world.iso)
    assert Audit.objects.get(pk=audit.pk).status == Audit.Status.PLANNED
    with pytest.raises(PermissionDenied):
        services.audit_assign_team(audit, actor=world.iso, user=world.head, role="auditor")
    # Nor through the pages: the programme is no longer theirs to see or change.
    client = client_for(world.iso)
    assert client.get(programme.get_absolute_url()).status_code == 404
    assert client.post(
        reverse("audits:programme_edit", args=[programme.pk]), {"title": "Đổi tên"}
    ).status_code in (403, 404)
    programme.refresh_from_db()
    assert programme.title != "Đổi tên"
    # A manager whose role is active keeps them.
    assert audit.can_approve_plan(world.director)


@pytest.mark.parametrize("role_ended", [False, True])
def test_programme_owner_is_told_of_the_report_only_while_a_manager(
    world, reporting, django_capture_on_commit_callbacks, role_ended
):
    from ims.models import Notification

    audit, *_ = reporting
    fill_report(audit)
    if role_ended:
        Membership.objects.filter(user=world.iso, role=Role.QUALITY_MANAGER).update(is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.audit_issue_report(audit, actor=world.leadauditor, password="demo")
    told = Notification.objects.filter(user=world.iso, kind="audits.report_issued").exists()
    assert told is not role_ended
    assert Notification.objects.filter(user=world.principal, kind="audits.report_issued").exists()
