"""Demo audits for Sở GD&ĐT Sơn La: the 2025–2026 programme (about 12 audits in every state,
an external certification audit, checklists, about 80 findings) and this school year's audits
around today, so each demo account has something to do.

Idempotent: programmes are found by unit and year, audits by code; an existing audit is left as
it is. Every step goes through the services, so the demo obeys the same rules as users.
"""

import io
from datetime import date, datetime, time, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from audits import services
from audits.citations import citable_revisions
from audits.models import (
    Audit,
    AuditProgramme,
    AuditTeamMember,
    ChecklistQuestion,
    ChecklistTemplate,
    Finding,
    FindingGrade,
    Process,
)
from audits.question_bank.loader import load_question_bank, read_banks
from audits.selectors import team_conflicts
from ims.demo import DEMO_PASSWORD, PRINCIPAL2_SCHOOL, PRINCIPAL_SCHOOL, ROOT
from ims.models import Clause
from ims.schoolyear import SchoolYear

ORDER = 30

CLAUSES = ["7.1.3", "7.1.4", "7.2", "7.5.3", "8.1", "8.2.2", "8.5.1", "9.1.2", "9.2", "10.2"]

PROCESSES = [
    # code, name, unit, owner username
    ("QT-TS", "Quá trình tuyển sinh", "SL-GDTrH", "gdtrh.head"),
    ("QT-DH", "Quá trình tổ chức dạy học", "SL-GDTH", "head"),
    ("QT-KTDG", "Quá trình kiểm tra, đánh giá học sinh", "SL-GDTrH", "gdtrh.head"),
    ("QT-VB", "Quá trình kiểm soát thông tin dạng văn bản", "SL-VP", None),
    ("QT-DGNB", "Quá trình đánh giá nội bộ", "SL-QLCL", "iso"),
    ("QT-CSVC", "Quá trình quản lý cơ sở vật chất, thiết bị", "SL-KHTC", None),
]

TEMPLATE_QUESTIONS = [
    ("Kế hoạch giáo dục của nhà trường có được phê duyệt và công khai không?", ["8.1"]),
    ("Hồ sơ chuyên môn (sổ đầu bài, giáo án) có được kiểm tra định kỳ không?", ["7.5.3", "8.5.1"]),
    ("Phòng học có đủ ánh sáng, bàn ghế đúng quy cách không?", ["7.1.3", "7.1.4"]),
    ("Giáo viên có được bồi dưỡng theo kế hoạch năm học không?", ["7.2"]),
    ("Ý kiến phụ huynh, học sinh có được thu thập và xử lý không?", ["9.1.2"]),
    ("Các điểm không phù hợp lần trước đã được khắc phục chưa?", ["10.2"]),
]

# grade code, clause, statement, evidence note
FINDINGS = [
    (
        "major_nc",
        "7.5.3",
        "Nhà trường dùng biểu mẫu kế hoạch bài dạy đã hết hiệu lực (phiên bản 2019) ở cả 5 khối lớp.",
        "Kiểm tra 12 kế hoạch bài dạy của tổ 1–5.",
    ),
    (
        "major_nc",
        "8.5.1",
        "Không có hồ sơ kiểm tra nội bộ hoạt động dạy học trong học kỳ I.",
        "Phỏng vấn Phó Hiệu trưởng; không xuất trình được biên bản.",
    ),
    (
        "minor_nc",
        "7.5.3",
        "Sổ đầu bài lớp 3A không được ký xác nhận hằng tuần theo quy định.",
        "Xem sổ đầu bài lớp 3A, tuần 8–11.",
    ),
    (
        "minor_nc",
        "7.2",
        "Hai giáo viên mới chưa có hồ sơ bồi dưỡng về giáo dục học sinh khuyết tật.",
        "Đối chiếu danh sách giáo viên và hồ sơ bồi dưỡng.",
    ),
    (
        "minor_nc",
        "7.1.3",
        "Phòng học lớp 2B thiếu ánh sáng, hai bóng đèn hỏng chưa được thay.",
        "Quan sát trực tiếp lúc 9h15.",
    ),
    (
        "minor_nc",
        "9.1.2",
        "Kết quả khảo sát phụ huynh học kỳ I chưa được tổng hợp và báo cáo.",
        "Phiếu khảo sát còn lưu tại văn phòng, chưa xử lý.",
    ),
    (
        "minor_nc",
        "10.2",
        "Hành động khắc phục điểm không phù hợp lần đánh giá trước chưa được kiểm tra hiệu lực.",
        "Xem sổ theo dõi hành động khắc phục.",
    ),
    (
        "minor_nc",
        "8.2.2",
        "Thông báo tuyển sinh không nêu đủ hồ sơ yêu cầu với học sinh người dân tộc thiểu số.",
        "Bản thông báo dán tại cổng trường.",
    ),
    (
        "observation",
        "7.1.4",
        "Khu vực bếp ăn bán trú chưa có bảng phân công vệ sinh hằng ngày.",
        "Quan sát khu bếp.",
    ),
    (
        "observation",
        "8.1",
        "Kế hoạch giáo dục nhà trường được phê duyệt muộn 3 tuần so với quy định.",
        "Quyết định phê duyệt ngày 28/9.",
    ),
    (
        "observation",
        "9.2",
        "Chương trình đánh giá nội bộ của trường chưa cập nhật theo quy trình mới.",
        "Đối chiếu với QT-DGNB.",
    ),
    (
        "ofi",
        "9.1.2",
        "Có thể dùng phiếu khảo sát song ngữ Việt – Thái cho phụ huynh vùng cao.",
        "Trao đổi với giáo viên chủ nhiệm.",
    ),
    (
        "ofi",
        "7.5.3",
        "Nên số hóa hồ sơ học sinh để tra cứu khi mất điện, mất mạng.",
        "Hồ sơ giấy lưu tại tủ văn phòng.",
    ),
    (
        "ofi",
        "7.2",
        "Có thể tổ chức sinh hoạt chuyên môn liên trường với các điểm trường lẻ.",
        "Phỏng vấn tổ trưởng chuyên môn.",
    ),
    (
        "good_practice",
        "8.5.1",
        "Nhà trường duy trì góc đọc sách tiếng dân tộc tại mỗi lớp học.",
        "Quan sát 6 lớp học.",
    ),
    (
        "good_practice",
        "9.1.2",
        "Hộp thư góp ý của phụ huynh được mở và trả lời hằng tuần, có sổ theo dõi.",
        "Sổ theo dõi góp ý năm học.",
    ),
]

PAST = [
    # code suffix, state, scope unit, title, month, day, process codes, auditee usernames, findings
    ("12", "closed", "SL-GDTX-TINH", "Đánh giá nội bộ Trung tâm GDTX tỉnh", 9, 23, [], [], 6),
    (
        "01",
        "closed",
        PRINCIPAL_SCHOOL,
        "Đánh giá nội bộ Trường Tiểu học Phường Tô Hiệu",
        10,
        14,
        ["QT-DH"],
        ["principal"],
        8,
    ),
    (
        "02",
        "closed",
        "SL-GDTH",
        "Đánh giá quá trình tổ chức dạy học tại Phòng GD Tiểu học",
        10,
        28,
        ["QT-DH"],
        ["head"],
        6,
    ),
    (
        "03",
        "closed",
        "SL-THPT-CHUYEN",
        "Đánh giá nội bộ Trường THPT Chuyên Sơn La",
        11,
        18,
        [],
        [],
        7,
    ),
    (
        "04",
        "report_issued",
        PRINCIPAL2_SCHOOL,
        "Đánh giá nội bộ Trường Tiểu học Phường Chiềng Sinh",
        12,
        9,
        [],
        ["principal2"],
        7,
    ),
    (
        "05",
        "report_issued",
        "SL-VP",
        "Đánh giá kiểm soát văn bản tại Văn phòng Sở",
        1,
        13,
        ["QT-VB"],
        ["vp.staff"],
        6,
    ),
    (
        "06",
        "report_issued",
        "SL-TH-MN",
        "Đánh giá nội bộ Trường Mầm non Phường Tô Hiệu",
        2,
        24,
        [],
        [],
        6,
    ),
    (
        "07",
        "closed",
        "SL-GDTrH",
        "Đánh giá quá trình tuyển sinh tại Phòng GD Trung học",
        3,
        10,
        ["QT-TS"],
        ["gdtrh.head"],
        6,
    ),
    (
        "08",
        "reporting",
        "SL-TC-THCS",
        "Đánh giá nội bộ Trường THCS Xã Thuận Châu",
        4,
        21,
        [],
        [],
        6,
    ),
    (
        "09",
        "in_progress",
        "SL-THPT-THUANCHAU",
        "Đánh giá nội bộ Trường THPT Thuận Châu",
        6,
        2,
        [],
        [],
        3,
    ),
    (
        "10",
        "plan_approved",
        "SL-THPT-MUONGLA",
        "Đánh giá nội bộ Trường THPT Mường La (hoãn do mưa lũ)",
        7,
        14,
        [],
        [],
        0,
    ),
    (
        "11",
        "planned",
        "SL-KHTC",
        "Đánh giá quản lý cơ sở vật chất tại Phòng Kế hoạch - Tài chính",
        8,
        18,
        ["QT-CSVC"],
        [],
        0,
    ),
]

OVERRIDE_REASON = (
    "Đoàn chỉ có hai chuyên gia đánh giá được đào tạo; người này không tham gia công việc được "
    "đánh giá và không đánh giá hồ sơ do mình lập hoặc phê duyệt."
)

OBJECTIVES = (
    "Xác định mức độ phù hợp của hệ thống quản lý tích hợp với ISO 9001:2015 và ISO 21001:2018; "
    "đánh giá hiệu lực của các hành động khắc phục lần trước; tìm cơ hội cải tiến."
)


def seed(ctx):
    clauses = list(Clause.objects.filter(criteria_set__code="iso-9001-2015", number__in=CLAUSES))
    by_number = {c.number: c for c in clauses}
    grades = {g.code: g for g in FindingGrade.objects.all()}
    processes = _processes(ctx)
    _template(ctx, by_number)
    load_question_bank()
    root = ctx.units[ROOT[0]]
    users = ctx.users
    past_year = SchoolYear(2025)
    programme = _programme(ctx, root, past_year, approve=True)
    counter = {"findings": 0}
    for suffix, state, unit_code, title, month, day, process_codes, auditees, n in PAST:
        year = past_year.start_year + (0 if month >= 9 else 1)
        start = date(year, month, day)
        _audit(
            ctx,
            programme,
            code=f"DG-2526-{suffix}",
            title=title,
            state=state,
            unit=ctx.units[unit_code],
            start=start,
            clauses=clauses,
            processes=[processes[c] for c in process_codes],
            auditees=[users[u] for u in auditees],
            findings=n,
            grades=grades,
            by_number=by_number,
            counter=counter,
        )
    _audit(
        ctx,
        programme,
        code="DG-CERT-2526",
        kind=Audit.Kind.CERTIFICATION,
        external_body="Trung tâm Chứng nhận Phù hợp (QUACERT)",
        external_lead="Trần Quốc Bảo (chuyên gia đánh giá trưởng, QUACERT)",
        title="Đánh giá chứng nhận lại ISO 9001:2015 và ISO 21001:2018 của Sở GD&ĐT",
        state="report_issued",
        unit=root,
        start=date(2026, 3, 24),
        clauses=clauses,
        processes=list(processes.values()),
        auditees=[users["director"], users["iso"]],
        findings=6,
        grades=grades,
        by_number=by_number,
        counter=counter,
        # The Department-wide audit sampled two schools: each school sees its own findings.
        finding_units=[ctx.units[PRINCIPAL_SCHOOL], ctx.units[PRINCIPAL2_SCHOOL], root],
    )
    today = timezone.localdate()
    current = SchoolYear.current()
    live = programme if current == past_year else _programme(ctx, root, current, approve=False)
    tag = current.slug[2:4] + current.slug[7:9]
    # The auditors' field days: one audit in progress today, its checklist partly worked
    # through, and one next week with its plan approved and checklist prepared, ready to take
    # offline. Both follow today's date when the demo runs again on a later day.
    today_audit = _audit(
        ctx,
        live,
        code=f"DG-{tag}-01",
        title="Đánh giá nội bộ Trường Tiểu học Phường Tô Hiệu (đợt 1)",
        state="in_progress",
        unit=ctx.units[PRINCIPAL_SCHOOL],
        start=today,
        clauses=clauses,
        processes=[processes["QT-DH"]],
        auditees=[users["principal"], users["teacher"]],
        findings=3,
        grades=grades,
        by_number=by_number,
        counter=counter,
        templates=_templates(ctx, "school.yaml"),
        checked=CHECKED_TODAY,
    )
    _follow_today(today_audit, today, Audit.Status.IN_PROGRESS)
    reporting = _audit(
        ctx,
        live,
        code=f"DG-{tag}-02",
        title="Đánh giá nội bộ Trường Tiểu học Phường Chiềng Sinh (đợt 1)",
        state="reporting",
        unit=ctx.units[PRINCIPAL2_SCHOOL],
        start=today - timedelta(days=5),
        clauses=clauses,
        processes=[],
        auditees=[users["principal2"]],
        findings=6,
        grades=grades,
        by_number=by_number,
        counter=counter,
        leave_conclusions_blank=True,
    )
    next_week = _audit(
        ctx,
        live,
        code=f"DG-{tag}-03",
        title="Đánh giá quá trình tổ chức dạy học tại Phòng GD Tiểu học",
        state="plan_approved",
        unit=ctx.units["SL-GDTH"],
        start=today + timedelta(days=7),
        clauses=clauses,
        processes=[processes["QT-DH"]],
        auditees=[users["head"]],
        findings=0,
        grades=grades,
        by_number=by_number,
        counter=counter,
    )
    _follow_today(next_week, today + timedelta(days=7), Audit.Status.PLAN_APPROVED)
    _prepare_checklist(next_week, ctx.users["leadauditor"], _templates(ctx, "department.yaml"))
    _audit(
        ctx,
        live,
        code=f"DG-{tag}-04",
        title="Đánh giá quá trình kiểm tra, đánh giá học sinh tại Phòng GD Trung học",
        state="planned",
        unit=ctx.units["SL-GDTrH"],
        start=today + timedelta(days=1),
        clauses=clauses,
        processes=[processes["QT-KTDG"]],
        auditees=[users["gdtrh.head"]],
        findings=0,
        grades=grades,
        by_number=by_number,
        counter=counter,
        approve_override=False,
    )
    ctx.log(
        f"  audits: {Audit.objects.count()} audits, {Finding.objects.count()} findings "
        f"({reporting.code} waits for its report)"
    )


DEMO_TEMPLATE_TITLE = "Bộ câu hỏi đánh giá nội bộ trường phổ thông"

# How many checklist items of today's audit are already answered (besides its findings').
CHECKED_TODAY = 4


def _templates(ctx, bank_file):
    """The demo's own questions and those of one bank of the question bank (``school.yaml``,
    ``department.yaml``)."""
    bank = next(b for b in read_banks() if b.path.name == bank_file)
    return list(
        ChecklistTemplate.objects.filter(
            unit=ctx.units[ROOT[0]], title__in=[DEMO_TEMPLATE_TITLE, bank.title]
        )
    )


def _prepare_checklist(audit, lead, templates):
    """The lead prepares the checklist of an approved plan (idempotent: only missing items)."""
    if audit.status in Audit.EDITABLE_STATES and audit.is_lead(lead):
        services.audit_generate_checklist(audit, actor=lead, templates=templates)


def _follow_today(audit, start, state):
    """A live demo audit still in its seeded state keeps its place around today: the demo run
    again on a later day moves its dates (the plan's length kept), nothing else."""
    if audit.status != state or audit.planned_start == start:
        return
    length = audit.planned_end - audit.planned_start
    audit.planned_start, audit.planned_end = start, start + length
    audit.save(update_fields=["planned_start", "planned_end"])


def _processes(ctx):
    result = {}
    for code, name, unit_code, owner in PROCESSES:
        process, _created = Process.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "unit": ctx.units[unit_code],
                "owner": ctx.users.get(owner) if owner else None,
            },
        )
        result[code] = process
    return result


def _template(ctx, by_number):
    template, created = ChecklistTemplate.objects.get_or_create(
        title=DEMO_TEMPLATE_TITLE,
        defaults={"unit": ctx.units[ROOT[0]]},
    )
    if created:
        for order, (text, numbers) in enumerate(TEMPLATE_QUESTIONS, start=1):
            question = ChecklistQuestion.objects.create(template=template, text=text, order=order)
            question.clauses.set([by_number[n] for n in numbers if n in by_number])
    return template


def _programme(ctx, root, year, *, approve):
    existing = AuditProgramme.objects.filter(unit=root, start_year=year.start_year).first()
    if existing is not None:
        return existing
    programme = services.programme_create(
        actor=ctx.users["iso"],
        values={
            "unit": root,
            "start_year": year.start_year,
            "title": f"Chương trình đánh giá nội bộ năm học {year.label}",
            "objectives": (
                "Đánh giá toàn bộ các quá trình của hệ thống quản lý tích hợp ít nhất một lần "
                "trong năm học; ưu tiên các trường mới áp dụng và các quá trình có nhiều điểm "
                "không phù hợp năm trước."
            ),
        },
    )
    if approve:
        programme = services.programme_approve(
            programme, actor=ctx.users["director"], password=DEMO_PASSWORD
        )
    return programme


def _audit(
    ctx,
    programme,
    *,
    code,
    title,
    state,
    unit,
    start,
    clauses,
    processes,
    auditees,
    findings,
    grades,
    by_number,
    counter,
    kind=Audit.Kind.INTERNAL,
    external_body="",
    external_lead="",
    approve_override=True,
    leave_conclusions_blank=False,
    finding_units=None,
    templates=(),
    checked=0,
):
    existing = Audit.objects.filter(code=code).first()
    if existing is not None:
        return existing
    users = ctx.users
    iso, lead, auditor = users["iso"], users["leadauditor"], users["auditor"]
    audit = services.audit_create(
        actor=iso,
        values={
            "programme": programme,
            "code": code,
            "kind": kind,
            "external_body": external_body,
            "external_lead_auditor": external_lead,
            "title": title,
            "objectives": OBJECTIVES,
            "planned_start": start,
            "planned_end": start + timedelta(days=1),
            "places": f"{unit.name}; phòng họp và các phòng chức năng",
        },
        scope_units=[unit],
        processes=processes,
        clauses=clauses,
        auditees=auditees,
    )
    if audit.is_external:
        # The certification body's own auditors audit; the quality manager records it all.
        lead = auditor = iso
    for user, role in ((lead, AuditTeamMember.Role.LEAD), (auditor, AuditTeamMember.Role.AUDITOR)):
        if audit.is_external:
            break
        conflicted = bool(team_conflicts(audit, user))
        member = services.audit_assign_team(
            audit,
            actor=iso,
            user=user,
            role=role,
            override_reason=OVERRIDE_REASON if conflicted else "",
        )
        if member.override_pending and approve_override:
            services.team_override_approve(member, actor=iso)
    if state == "planned":
        return audit
    services.audit_approve_plan(audit, actor=iso)
    if state == "plan_approved":
        return audit
    services.audit_start(audit, actor=lead)
    audit.refresh_from_db()
    if templates:
        services.audit_generate_checklist(audit, actor=lead, templates=templates)
    items = list(audit.checklist.prefetch_related("clauses"))
    recorded_at = timezone.make_aware(datetime.combine(audit.planned_start, time(9, 30)))
    for i in range(findings):
        grade_code, number, statement, note = FINDINGS[(counter["findings"] + i) % len(FINDINGS)]
        clause = by_number.get(number) or clauses[0]
        item = next((it for it in items if it.clause_id == clause.pk), None)
        photos = []
        if (counter["findings"] + i) % 8 == 0:
            photos = [SimpleUploadedFile("anh-minh-chung.jpg", _photo(counter["findings"] + i))]
        actor = auditor if i % 2 else lead
        finding_unit = finding_units[i % len(finding_units)] if finding_units else unit
        finding = services.finding_record(
            audit,
            actor=actor,
            grade=grades[grade_code],
            clauses=[clause],
            unit=finding_unit,
            statement=statement,
            checklist_item=item,
            notes=[note],
            revisions=_cited_revision(actor, finding_unit, counter["findings"] + i),
            photos=photos,
        )
        Finding.objects.filter(pk=finding.pk).update(
            created_at=recorded_at + timedelta(minutes=20 * i)
        )
    counter["findings"] += findings
    for n, item in enumerate(audit.checklist.filter(result="not_checked")):
        if state != "in_progress":
            services.checklist_item_record(item, actor=auditor, result="conforming")
        elif n < checked:  # a few answered already: the rest is the day's work
            result = "not_applicable" if n % 4 == 3 else "conforming"
            services.checklist_item_record(item, actor=auditor, result=result)
    if state == "in_progress":
        return audit
    services.audit_finish_fieldwork(audit, actor=lead)
    audit.refresh_from_db()
    team = (
        f"{external_lead}, đoàn {external_body}"
        if audit.is_external
        else f"{lead.display_name} (trưởng đoàn), {auditor.display_name}"
    )
    report = {
        "participants": (
            f"Đoàn đánh giá: {team}. "
            f"Bên được đánh giá: {', '.join(u.display_name for u in auditees) or 'lãnh đạo đơn vị'}."
        ),
        "degree_of_conformity": "Hệ thống phù hợp phần lớn yêu cầu của tiêu chuẩn.",
        "diverging_opinions": "Không có.",
    }
    if not leave_conclusions_blank:
        report["conclusions"] = (
            "Hệ thống quản lý được duy trì và có hiệu lực; cần khắc phục các điểm không phù hợp "
            "trong thời hạn 30 ngày."
        )
    audit = services.audit_update_report(audit, actor=lead, report=report)
    if state == "reporting":
        return audit
    if audit.is_external:
        upload = SimpleUploadedFile("bao-cao-quacert.pdf", _external_report_pdf(audit))
        services.audit_attach_external_report(audit, actor=iso, upload=upload)
    services.audit_issue_report(audit, actor=lead, password=DEMO_PASSWORD)
    if state == "report_issued":
        return audit
    for finding in audit.findings.all():
        services.finding_close(finding, actor=lead)
    services.audit_close(audit, actor=iso)
    return audit


def _cited_revision(actor, unit, seed):
    """Every third finding cites a published revision of the demo documents that its auditor
    may see: the audited unit's own when it has some, else one of the province's."""
    if seed % 3:
        return []
    revisions = citable_revisions(actor)
    own = revisions.filter(document__owner_unit__path__startswith=unit.path)
    candidates = list(own[:10]) or list(revisions[:10])
    return [candidates[seed % len(candidates)]] if candidates else []


def _external_report_pdf(audit):
    """A one-page PDF standing in for the certification body's report."""
    text = f"{audit.external_body}: audit report {audit.code}".encode("ascii", "replace")
    stream = b"BT /F1 12 Tf 50 780 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.4\n")
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def _photo(seed):
    """A small generated picture standing in for a phone photo of a classroom."""
    image = Image.new("RGB", (640, 480), (220 - seed % 60, 210, 190 + seed % 50))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 300, 600, 440), fill=(120, 80, 40))
    for x in range(80, 600, 120):
        draw.rectangle((x, 200, x + 70, 300), fill=(90, 60, 30))
    draw.rectangle((200, 40, 440, 160), fill=(30, 90, 50))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()
