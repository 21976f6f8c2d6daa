"""The whole audit from plan to closed report, through the services."""

from django.core.files.uploadedfile import SimpleUploadedFile

from audits import services
from audits.models import Audit, Finding
from nonconformities.models import Nonconformity
from tests.audits.factories import fill_report, grade, jpeg_bytes, make_audit


def test_audit_runs_from_plan_to_closed_with_an_nc(world, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    audit = make_audit(world)
    services.audit_approve_plan(audit, actor=world.iso)
    services.audit_start(audit, actor=world.leadauditor)
    audit.refresh_from_db()
    assert audit.status == Audit.Status.IN_PROGRESS
    item = audit.checklist.first()
    assert audit.checklist.count() == 3
    photo = SimpleUploadedFile("anh.jpg", jpeg_bytes(exif=True))
    finding = services.finding_record(
        audit,
        actor=world.auditor,
        grade=grade("minor_nc"),
        clauses=list(item.clauses.all()),
        unit=world.school,
        statement="Phòng học lớp 3A thiếu ánh sáng.",
        checklist_item=item,
        photos=[photo],
    )
    assert finding.evidence.get().photo.name.endswith(".jpg")
    services.audit_finish_fieldwork(audit, actor=world.leadauditor)
    fill_report(Audit.objects.get(pk=audit.pk))
    services.audit_issue_report(audit, actor=world.leadauditor, password="demo")
    nc = Nonconformity.objects.for_source(finding).get()
    assert nc.source == "internal_audit"
    services.finding_close(Finding.objects.get(pk=finding.pk), actor=world.leadauditor)
    services.audit_close(audit, actor=world.iso)
    assert Audit.objects.get(pk=audit.pk).status == Audit.Status.CLOSED
