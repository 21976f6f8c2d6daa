"""External certification audits: the third party's lead auditor is named as text, their report
is attached and served only through an access check, no internal user is "lead auditor", and
the internal impartiality rule (AUD-R1) does not apply to the internal people who take part."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from audits import services
from audits.models import Audit
from audits.services import AuditRuleError
from ims.models import Signature
from tests.audits.factories import fill_report, make_audit, pdf_bytes, pdf_upload

LEAD = "Trần Quốc Bảo"


def _external(world, **fields):
    fields.setdefault("external_lead_auditor", LEAD)
    return make_audit(world, kind="certification", external_body="QUACERT", team=False, **fields)


def test_no_internal_user_is_made_lead_auditor(world):
    audit = _external(world)
    with pytest.raises(AuditRuleError):
        services.audit_assign_team(audit, actor=world.iso, user=world.leadauditor, role="lead")
    assert not audit.team.exists()


def test_internal_participants_are_not_held_to_aud_r1(world):
    audit = _external(world, scope=[world.division])
    # auditor is staff in the division: an internal audit would refuse them (AUD-R1)
    member = services.audit_assign_team(audit, actor=world.iso, user=world.auditor, role="auditor")
    assert member.conflict == "" and member.is_cleared


def test_plan_needs_the_certification_bodys_lead_auditor_by_name(world):
    audit = _external(world, external_lead_auditor="")
    with pytest.raises(AuditRuleError, match="AUD-R2"):
        services.audit_approve_plan(audit, actor=world.iso)
    Audit.objects.filter(pk=audit.pk).update(external_lead_auditor=LEAD)
    services.audit_approve_plan(audit, actor=world.iso)
    services.audit_start(audit, actor=world.iso)
    assert Audit.objects.get(pk=audit.pk).status == Audit.Status.IN_PROGRESS


def test_report_is_recorded_by_the_manager_only_with_the_third_partys_report(world):
    audit = fill_report(_external(world, status=Audit.Status.REPORTING))
    with translation.override("en"), pytest.raises(AuditRuleError) as refused:
        services.audit_issue_report(audit, actor=world.iso, password="demo")
    assert "certification body's report" in " ".join(refused.value.messages)
    with pytest.raises(PermissionDenied):
        services.audit_attach_external_report(audit, actor=world.leadauditor, upload=pdf_upload())
    services.audit_attach_external_report(audit, actor=world.iso, upload=pdf_upload())
    with pytest.raises(PermissionDenied):
        services.audit_issue_report(audit, actor=world.leadauditor, password="demo")
    services.audit_issue_report(audit, actor=world.iso, password="demo")
    audit.refresh_from_db()
    assert audit.status == Audit.Status.REPORT_ISSUED and audit.lead_auditor is None
    assert Signature.objects.for_object(audit).get().signer == world.iso


def test_a_file_that_is_not_a_document_is_refused_and_nothing_is_stored(world):
    audit = _external(world, status=Audit.Status.REPORTING)
    with pytest.raises(ValidationError):
        services.audit_attach_external_report(
            audit, actor=world.iso, upload=SimpleUploadedFile("r.pdf", b"<html>not a pdf")
        )
    assert not Audit.objects.get(pk=audit.pk).external_report


def test_report_page_names_the_third_partys_lead_and_links_its_report(world, client_for):
    audit = fill_report(_external(world, status=Audit.Status.REPORTING))
    services.audit_attach_external_report(audit, actor=world.iso, upload=pdf_upload())
    page = client_for(world.iso).get(reverse("audits:report", args=[audit.pk])).content.decode()
    assert LEAD in page and "QUACERT" in page
    assert reverse("audits:external_report", args=[audit.pk]) in page


@pytest.fixture
def two_schools(world):
    audit = _external(world, status=Audit.Status.REPORTING, scope=[world.school, world.school2])
    services.audit_attach_external_report(audit, actor=world.iso, upload=pdf_upload())
    return audit


@pytest.mark.parametrize("who", ["iso", "director"])
def test_managers_and_members_above_the_whole_scope_download_the_report(
    world, client_for, two_schools, who
):
    response = client_for(getattr(world, who)).get(
        reverse("audits:external_report", args=[two_schools.pk])
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == pdf_bytes()


@pytest.mark.parametrize("who", ["teacher", "principal2", "head"])
def test_a_school_member_or_an_outsider_gets_404_for_the_whole_report(
    world, client_for, two_schools, who
):
    # teacher and principal2 see the audit (their school is in scope) but not the whole report;
    # head (another division) does not see the audit at all
    response = client_for(getattr(world, who)).get(
        reverse("audits:external_report", args=[two_schools.pk])
    )
    assert response.status_code == 404


@pytest.mark.parametrize(("who", "status"), [("iso", 302), ("teacher", 302), ("head", 404)])
def test_attaching_through_the_page(world, client_for, who, status):
    audit = _external(world, status=Audit.Status.IN_PROGRESS)
    response = client_for(getattr(world, who)).post(
        reverse("audits:external_report_attach", args=[audit.pk]), {"file": pdf_upload()}
    )
    assert response.status_code == status
    assert bool(Audit.objects.get(pk=audit.pk).external_report) == (who == "iso")


def test_admin_lists_the_external_lead_and_keeps_grade_history(world, client):
    from audits.models import FindingGrade
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    _external(world)
    page = client.get(reverse("admin:audits_audit_changelist")).content.decode()
    assert LEAD in page
    from django.contrib import admin
    from simple_history.admin import SimpleHistoryAdmin

    assert isinstance(admin.site._registry[FindingGrade], SimpleHistoryAdmin)
    minor = FindingGrade.objects.get(code="minor_nc")
    response = client.get(reverse("admin:audits_findinggrade_history", args=[minor.pk]))
    assert response.status_code == 200


def test_an_audit_with_an_internal_lead_cannot_become_external(world):
    audit = make_audit(world)  # internal, with leadauditor as lead
    with pytest.raises(AuditRuleError):
        services.audit_update_plan(
            audit,
            actor=world.iso,
            values={"kind": "certification", "external_body": "QUACERT"},
            scope_units=list(audit.scope_units.all()),
            processes=[],
            clauses=list(audit.clauses.all()),
            auditees=list(audit.auditees.all()),
        )
    assert Audit.objects.get(pk=audit.pk).kind == "internal"
