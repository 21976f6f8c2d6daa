"""The ``audit`` PDF: Vietnamese text, findings, photo thumbnails, the signature manifest."""

import subprocess

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audits import services
from audits.models import Audit, Finding
from audits.report_kinds import AuditReport
from ims.models import ReportJob
from ims.reports import render_report
from tests.audits.factories import fill_report, jpeg_bytes, make_audit, make_finding


def pdf_text(data, tmp_path):
    path = tmp_path / "r.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def _issued(world):
    audit = make_audit(world, status=Audit.Status.REPORTING)
    finding = make_finding(audit, world, code="major_nc")
    services.finding_add_evidence(
        finding, actor=world.auditor, kind="photo", photo=SimpleUploadedFile("a.jpg", jpeg_bytes())
    )
    fill_report(audit)
    services.audit_issue_report(audit, actor=world.leadauditor, password="demo")
    return Audit.objects.get(pk=audit.pk), finding


def test_audit_pdf_has_findings_photos_and_signature_manifest(world, tmp_path):
    audit, finding = _issued(world)
    kind = AuditReport()
    obj = kind.get_object(world.principal, audit.pk)
    assert len(kind.media_names(obj, {})) == 1
    pdf = render_report(kind, obj, {}, user=world.principal, language="vi")
    text = pdf_text(pdf, tmp_path)
    for expected in [
        "Báo cáo đánh giá",
        "Sổ đầu bài lớp 3A",
        "Điểm không phù hợp lớn",
        world.leadauditor.display_name,
        "Hợp lệ",
        "Trang 1 /",
        "Không có.",
    ]:
        assert expected in text, expected
    assert b"/Subtype /Image" in pdf or b"/Subtype/Image" in pdf


def test_manifest_shows_invalid_signature_after_change(world, tmp_path):
    audit, finding = _issued(world)
    Finding.objects.filter(pk=finding.pk).update(statement="Nội dung đã bị sửa sau khi ký")
    kind = AuditReport()
    pdf = render_report(kind, kind.get_object(None, audit.pk), {}, language="vi")
    assert "Không hợp lệ" in pdf_text(pdf, tmp_path)


def test_report_is_requested_from_the_audit_page_and_access_checked(
    world, client_for, django_capture_on_commit_callbacks, tmp_path
):
    audit, _finding = _issued(world)
    page = client_for(world.principal).get(reverse("audits:audit_detail", args=[audit.pk]))
    assert 'name="kind" value="audit"' in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world.principal).post(
            reverse("ims:report_request"), {"kind": "audit", "object_id": audit.pk}
        )
    job = ReportJob.objects.get()
    assert response.status_code == 302 and job.status == ReportJob.Status.DONE
    response = client_for(world.principal2).post(
        reverse("ims:report_request"), {"kind": "audit", "object_id": audit.pk}
    )
    assert response.status_code == 404
