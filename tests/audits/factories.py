"""Audit test data: a programme at the department, an audit of ``world.school`` with its team."""

import io
from datetime import date

import factory
from PIL import Image

from audits.models import (
    Audit,
    AuditProgramme,
    AuditTeamMember,
    ChecklistItem,
    Finding,
    FindingEvidence,
    FindingGrade,
)
from ims.models import Clause


def grade(code):
    return FindingGrade.objects.get(code=code)


def clauses(*numbers, standard="iso-9001-2015"):
    return list(Clause.objects.filter(criteria_set__code=standard, number__in=numbers))


def jpeg_bytes(size=(64, 48), exif=False, color=(200, 30, 30)):
    image = Image.new("RGB", size, color)
    buffer = io.BytesIO()
    if exif:
        data = Image.Exif()
        data[0x010F] = "PhoneMaker"  # Make
        data[0x0131] = "GPS-Camera 1.0"  # Software
        data[0x010E] = "toa-do-21.3N-103.9E"  # ImageDescription (stands in for GPS)
        image.save(buffer, format="JPEG", exif=data)
    else:
        image.save(buffer, format="JPEG")
    return buffer.getvalue()


def png_bytes(size=(40, 40)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (0, 120, 0)).save(buffer, format="PNG")
    return buffer.getvalue()


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditProgramme

    start_year = 2025
    title = factory.Sequence(lambda n: f"Chương trình đánh giá nội bộ năm học 2025–2026 ({n})")
    objectives = "Đánh giá hiệu lực của hệ thống quản lý tích hợp."


def make_audit(world, *, status=Audit.Status.PLANNED, scope=None, team=True, **fields):
    programme = fields.pop("programme", None)
    if programme is None:
        year = fields.pop("start_year", 2025)
        programme = AuditProgramme.objects.filter(
            unit=world.root, start_year=year
        ).first() or ProgrammeFactory(unit=world.root, owner=world.iso, start_year=year)
    defaults = {
        "code": f"DG-{Audit.objects.count() + 1:03d}",
        "title": "Đánh giá nội bộ quá trình dạy học",
        "objectives": "Xác định mức độ phù hợp của quá trình dạy học với ISO 9001 và ISO 21001.",
        "planned_start": date(2025, 11, 10),
        "planned_end": date(2025, 11, 11),
        "places": "Phòng họp trường, lớp 3A",
    }
    defaults.update(fields)
    audit = Audit(programme=programme, status=status, created_by=world.iso, **defaults)
    if status in (Audit.Status.REPORT_ISSUED, Audit.Status.CLOSED):
        from django.utils import timezone

        audit.report_issued_at = timezone.now()
    audit.save()
    audit.scope_units.set(scope or [world.school])
    audit.clauses.set(clauses("7.1.3", "7.5.3", "8.5.1"))
    audit.auditees.set([world.principal])
    if team:
        AuditTeamMember.objects.create(
            audit=audit, user=world.leadauditor, role="lead", added_by=world.iso
        )
        AuditTeamMember.objects.create(
            audit=audit, user=world.auditor, role="auditor", added_by=world.iso
        )
    return audit


def make_finding(audit, world, *, code="minor_nc", statement=None, note="Quan sát tại lớp 3A"):
    finding = Finding.objects.create(
        audit=audit,
        grade=grade(code),
        unit=world.school,
        statement=statement or "Sổ đầu bài lớp 3A không được ký xác nhận hằng tuần.",
        created_by=world.auditor,
    )
    finding.clauses.set(audit.clauses.all()[:1])
    FindingEvidence.objects.create(
        finding=finding, kind=FindingEvidence.Kind.NOTE, text=note, created_by=world.auditor
    )
    return finding


def fill_report(audit):
    audit.participants = "Đoàn đánh giá: Hoàng Văn Dũng (trưởng đoàn), Cầm Thị Lan. Bên được đánh giá: Lường Thị Mai."
    audit.conclusions = "Hệ thống được duy trì, còn một số điểm cần khắc phục."
    audit.degree_of_conformity = "Phù hợp phần lớn yêu cầu."
    audit.diverging_opinions = "Không có."
    audit.save()
    return audit


def checklist_item(audit):
    clause = audit.clauses.first()
    item = ChecklistItem.objects.create(
        audit=audit, key=f"clause:{clause.pk}", clause=clause, question="Câu hỏi", order=1
    )
    item.clauses.add(clause)
    return item


def pdf_bytes():
    """The smallest file that passes the upload check as a PDF (its content says %PDF-)."""
    return b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def pdf_upload(name="bao-cao-chung-nhan.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, pdf_bytes(), content_type="application/pdf")
