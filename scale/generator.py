"""A province-sized data set, written in bulk: ``python manage.py seed_scale [--factor F]``.

Every table is written with multi-row INSERTs (``bulk_create``), never one ``save()`` per row.
The two big tables (a million survey responses and twenty million answers at factor 1) are
generated inside PostgreSQL with ``INSERT ... SELECT`` over ``generate_series``, with their
indexes and constraints dropped during the load and rebuilt afterwards (the same definitions,
read from the catalogue), in two parallel sessions. On another database (SQLite in tests) they
go through ``bulk_create`` too. Survey counters are then computed from the raw answers (one
pass in SQL on PostgreSQL, checked equal to the surveys app's ``tally_rebuild``; that function
itself elsewhere), so results pages read exactly what submissions would have produced.

The data set is deterministic for a given factor (a seeded random generator), hangs under its
own root unit (code ``SCALE``) and refuses to run twice on the same database.
"""

import random
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db import connection, connections, transaction
from django.utils import timezone

from ims.models import Clause, Membership, OrgUnit, Role, SchoolLevel, UnitKind, User
from ims.models.org import path_segment
from ims.schoolyear import SchoolYear
from ims.search import fold_join

ROOT_CODE = "SCALE"
PASSWORD = "scale-bench-2026"  # noqa: S105 - every generated account; a benchmark database only
BATCH = 2000

# Default counts at factor 1: a province.
COUNTS = {
    "units": 1_000,
    "users": 20_000,
    "documents": 6_000,
    "revisions": 18_000,
    "audits": 1_500,
    "findings": 10_000,
    "nonconformities": 50_000,
    "actions": 100_000,
    "responses": 1_000_000,
}
QUESTIONS = 20  # answers per response: about 20 (one optional text question)
PDF_AUDIT_FINDINGS = 100  # the first audit carries exactly this many findings (report benchmark)

DOC_TITLES = [
    ("QT", "procedure", "Quy trình kiểm soát tài liệu"),
    ("QT", "procedure", "Quy trình kiểm soát hồ sơ"),
    ("QT", "procedure", "Quy trình đánh giá nội bộ"),
    ("QT", "procedure", "Quy trình xử lý sự không phù hợp và hành động khắc phục"),
    ("QT", "procedure", "Quy trình tuyển sinh đầu cấp"),
    ("QT", "procedure", "Quy trình xét công nhận tốt nghiệp"),
    ("QT", "procedure", "Quy trình bồi dưỡng thường xuyên giáo viên"),
    ("QT", "procedure", "Quy trình quản lý tài sản và thiết bị dạy học"),
    ("QT", "procedure", "Quy trình khảo sát sự hài lòng của người học"),
    ("HD", "instruction", "Hướng dẫn xây dựng kế hoạch giáo dục nhà trường"),
    ("HD", "instruction", "Hướng dẫn kiểm tra, đánh giá học sinh tiểu học"),
    ("HD", "instruction", "Hướng dẫn tổ chức bán trú"),
    ("BM", "form", "Biểu mẫu phiếu yêu cầu sửa đổi tài liệu"),
    ("BM", "form", "Biểu mẫu báo cáo sự không phù hợp"),
    ("BM", "form", "Biểu mẫu sổ theo dõi đào tạo"),
    ("KH", "plan", "Kế hoạch năm học"),
    ("KH", "plan", "Kế hoạch đánh giá nội bộ"),
    ("CS", "policy", "Chính sách chất lượng"),
    ("ST", "manual", "Sổ tay chất lượng"),
    ("HS", "record", "Hồ sơ kiểm định chất lượng giáo dục"),
]
SUMMARIES = [
    "Ban hành lần đầu",
    "Cập nhật theo Thông tư mới của Bộ Giáo dục và Đào tạo",
    "Điều chỉnh trách nhiệm sau sắp xếp chính quyền hai cấp",
    "Bổ sung biểu mẫu và sửa lỗi chính tả",
]
NC_TITLES = [
    "Hồ sơ bồi dưỡng giáo viên chưa cập nhật",
    "Biên bản sinh hoạt chuyên môn thiếu chữ ký",
    "Sổ theo dõi thiết bị dạy học không đầy đủ",
    "Kế hoạch giáo dục chưa được phê duyệt đúng hạn",
    "Phiếu khảo sát không được tổng hợp",
    "Tài liệu lỗi thời còn sử dụng tại tổ chuyên môn",
    "Chưa đánh giá hiệu lực hành động khắc phục kỳ trước",
    "Phòng học bộ môn chưa đảm bảo an toàn",
]
FINDING_STATEMENTS = [
    "Không có bằng chứng về việc xem xét định kỳ quy trình kiểm soát tài liệu.",
    "Hồ sơ đánh giá học sinh được lưu trữ đầy đủ, đúng quy định.",
    "Một số biểu mẫu đang sử dụng không phải phiên bản hiện hành.",
    "Kết quả khảo sát sự hài lòng chưa được phân tích và sử dụng.",
    "Kế hoạch bồi dưỡng giáo viên chưa có chỉ tiêu đo lường được.",
    "Nhà trường triển khai tốt sinh hoạt chuyên môn theo nghiên cứu bài học.",
]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vì", "Lò", "Cầm", "Quàng", "Tòng", "Lường"]
MIDDLE = ["Văn", "Thị", "Thu", "Minh", "Ngọc", "Đức", "Thanh", "Hải"]
GIVEN = ["An", "Bình", "Châu", "Dung", "Hà", "Hùng", "Lan", "Mai", "Nam", "Phương", "Sơn", "Tú"]
COMMUNES = ["Mường La", "Thuận Châu", "Mai Sơn", "Yên Châu", "Mộc Châu", "Sông Mã", "Phù Yên"]
SCHOOL_PREFIX = ["Trường Mầm non", "Trường Tiểu học", "Trường THCS", "Trường PTDTBT TH&THCS"]


@dataclass
class Plan:
    """How many rows of each kind, for a factor."""

    factor: float
    counts: dict = field(default_factory=dict)

    @classmethod
    def for_factor(cls, factor):
        minimum = {"units": 6, "users": 30, "audits": 2, "findings": 4, "responses": 50}
        counts = {
            key: max(minimum.get(key, 2), round(value * factor)) for key, value in COUNTS.items()
        }
        counts["revisions"] = max(counts["revisions"], counts["documents"])
        counts["actions"] = max(counts["actions"], counts["nonconformities"])
        return cls(factor=factor, counts=counts)


class AlreadySeeded(Exception):
    pass


class Generator:
    def __init__(self, factor=1.0, log=print, seed=20261130):
        self.plan = Plan.for_factor(factor)
        self.rng = random.Random(seed)
        self.log = log
        self.today = timezone.localdate()
        self.year = SchoolYear.current()
        # The in-database fast path needs its own sessions and DDL: not inside an outer
        # transaction (a test), where the ORM path is used instead.
        self.postgres = connection.vendor == "postgresql" and not connection.in_atomic_block
        self.timings = {}

    # --- helpers ---------------------------------------------------------------------------

    def step(self, name, func):
        started = time.perf_counter()
        result = func()
        self.timings[name] = time.perf_counter() - started
        self.log(f"  {name}: {self.timings[name]:.1f} s")
        return result

    def bulk(self, model, rows):
        return model.objects.bulk_create(rows, batch_size=BATCH)

    def name(self):
        r = self.rng
        return f"{r.choice(FAMILY)} {r.choice(MIDDLE)} {r.choice(GIVEN)}"

    def aware(self, day, hour=9):
        return timezone.make_aware(datetime(day.year, day.month, day.day, hour))

    # --- entry point -----------------------------------------------------------------------

    def run(self):
        if OrgUnit.objects.filter(code=ROOT_CODE).exists():
            raise AlreadySeeded(
                "This database already holds the scale data set; use a fresh database."
            )
        started = time.perf_counter()
        self.log(f"seed_scale: factor {self.plan.factor}, counts {self.plan.counts}")
        with transaction.atomic():
            self.step("organisation", self.seed_units)
            self.step("people", self.seed_people)
            self.step("documents", self.seed_documents)
            self.step("audits", self.seed_audits)
            self.step("nonconformities", self.seed_nonconformities)
            self.step("survey set-up", self.seed_survey_setup)
        self.step("survey responses", self.seed_responses)
        self.step("survey counters", self.rebuild_tallies)
        self.step("acknowledgement coverage", self.rebuild_coverage)
        self.step("analyse", self.analyse)
        self.timings["total"] = time.perf_counter() - started
        self.log(f"seed_scale: done in {self.timings['total']:.1f} s")
        return self.timings

    # --- organisation ----------------------------------------------------------------------

    def seed_units(self):
        kinds = {k.code: k for k in UnitKind.objects.all()}
        levels = {lvl.code: lvl for lvl in SchoolLevel.objects.all()}
        total = self.plan.counts["units"]
        divisions = max(1, total * 2 // 100)
        communes = max(1, total * 18 // 100)
        schools = max(2, total - 1 - divisions - communes)
        root = OrgUnit.objects.create(
            kind=kinds["department"], code=ROOT_CODE, name="Sở Giáo dục và Đào tạo (quy mô tỉnh)"
        )
        rows = [
            OrgUnit(
                kind=kinds["division"],
                parent=root,
                code=f"SC-P{i:03d}",
                name=f"Phòng chuyên môn số {i}",
                path=f"tmp-d{i}",
            )
            for i in range(1, divisions + 1)
        ]
        rows += [
            OrgUnit(
                kind=kinds["commune"],
                parent=root,
                code=f"SC-X{i:04d}",
                name=f"Xã {COMMUNES[i % len(COMMUNES)]} {i}",
                path=f"tmp-c{i}",
            )
            for i in range(1, communes + 1)
        ]
        self.bulk(OrgUnit, rows)
        first_level = list(OrgUnit.objects.filter(parent=root).order_by("pk"))
        for unit in first_level:
            unit.path = root.path + path_segment(unit.pk)
            unit.depth = 1
            unit.search_text = fold_join(unit.code, unit.name, unit.name_en)
        OrgUnit.objects.bulk_update(first_level, ["path", "depth", "search_text"], batch_size=100)
        self.root = root
        self.divisions = [u for u in first_level if u.code.startswith("SC-P")]
        self.communes = [u for u in first_level if u.code.startswith("SC-X")]
        school_rows = []
        for i in range(1, schools + 1):
            commune = self.communes[i % len(self.communes)]
            prefix = SCHOOL_PREFIX[i % len(SCHOOL_PREFIX)]
            school_rows.append(
                OrgUnit(
                    kind=kinds["school"],
                    parent=commune,
                    code=f"SC-T{i:05d}",
                    name=f"{prefix} {commune.name.removeprefix('Xã ')} số {i}",
                    path=f"tmp-s{i}",
                )
            )
        self.bulk(OrgUnit, school_rows)
        by_pk = {u.pk: u for u in self.communes}
        self.schools = list(OrgUnit.objects.filter(code__startswith="SC-T").order_by("pk"))
        for unit in self.schools:
            unit.path = by_pk[unit.parent_id].path + path_segment(unit.pk)
            unit.depth = 2
            unit.search_text = fold_join(unit.code, unit.name, unit.name_en)
        OrgUnit.objects.bulk_update(self.schools, ["path", "depth", "search_text"], batch_size=100)
        level_codes = list(levels)
        through = OrgUnit.levels.through
        if level_codes:
            self.bulk(
                through,
                [
                    through(orgunit_id=s.pk, schoollevel_id=levels[level_codes[i % 3]].pk)
                    for i, s in enumerate(self.schools)
                ],
            )
        self.units = [root, *self.divisions, *self.communes, *self.schools]

    # --- people ----------------------------------------------------------------------------

    def seed_people(self):
        password = make_password(PASSWORD)
        total = self.plan.counts["users"]
        # Named accounts the benchmark signs in with.
        named = [
            ("scale.director", Role.DIRECTOR, self.root, "Giám đốc Sở"),
            ("scale.iso", Role.QUALITY_MANAGER, self.root, "Thư ký ISO"),
            ("scale.lead", Role.LEAD_AUDITOR, self.root, "Trưởng đoàn đánh giá"),
            ("scale.principal", Role.PRINCIPAL, self.schools[0], "Hiệu trưởng"),
        ]
        auditors = max(4, total // 200)
        # Who sits where: heads of divisions and communes, a principal per school, auditors at
        # the Department, the rest as staff spread over schools (most) and divisions.
        placements = [(role, unit, title) for _u, role, unit, title in named]
        placements += [(Role.UNIT_HEAD, d, "Trưởng phòng") for d in self.divisions]
        placements += [(Role.UNIT_HEAD, c, "Trưởng phòng văn hoá - xã hội") for c in self.communes]
        placements += [(Role.PRINCIPAL, s, "Hiệu trưởng") for s in self.schools[1:]]
        for i in range(auditors):
            role = Role.LEAD_AUDITOR if i % 4 == 0 else Role.AUDITOR
            placements.append((role, self.root, "Chuyên gia đánh giá nội bộ"))
        i = 0
        while len(placements) < total:
            if i % 10 == 0:
                unit = self.divisions[i % len(self.divisions)]
            else:
                unit = self.schools[i % len(self.schools)]
            placements.append((Role.STAFF, unit, "Giáo viên" if unit.depth == 2 else "Chuyên viên"))
            i += 1
        placements = placements[:total]
        users = []
        for n in range(len(placements)):
            username = named[n][0] if n < len(named) else f"scale.u{n:06d}"
            full = self.name()
            users.append(
                User(
                    username=username,
                    full_name=full,
                    search_text=fold_join(username, full),
                    email=f"{username}@scale.invalid",
                    password=password,
                    language="vi",
                )
            )
        self.bulk(User, users)
        users = list(User.objects.filter(username__startswith="scale.").order_by("pk"))
        by_name = {u.username: u for u in users}
        ordered = [
            by_name[named[n][0] if n < len(named) else f"scale.u{n:06d}"]
            for n in range(len(placements))
        ]
        self.bulk(
            Membership,
            [
                Membership(user=user, unit=unit, role=role, title=title)
                for user, (role, unit, title) in zip(ordered, placements, strict=True)
            ],
        )
        self.director = by_name["scale.director"]
        self.iso = by_name["scale.iso"]
        self.lead = by_name["scale.lead"]
        self.auditors = [
            u for u, p in zip(ordered, placements, strict=True) if p[2].startswith("Chuyên gia")
        ]
        self.head_of = {}
        for user, (role, unit, _t) in zip(ordered, placements, strict=True):
            if role in (Role.PRINCIPAL, Role.UNIT_HEAD):
                self.head_of.setdefault(unit.pk, user)
        self.staff_of = {}
        for user, (role, unit, _t) in zip(ordered, placements, strict=True):
            if role == Role.STAFF:
                self.staff_of.setdefault(unit.pk, []).append(user)

    # --- documents -------------------------------------------------------------------------

    def seed_documents(self):
        from documents.models import (
            Confidentiality,
            Distribution,
            Document,
            Revision,
            RevisionStatus,
        )

        total = self.plan.counts["documents"]
        per_doc = max(1, self.plan.counts["revisions"] // total)
        owners = [self.root] * 10 + self.divisions * 3 + self.schools
        docs, used = [], set()
        for i in range(total):
            unit = owners[i % len(owners)]
            prefix, doc_type, title = DOC_TITLES[i % len(DOC_TITLES)]
            number = i // len(DOC_TITLES) + 1
            code = f"{prefix}-{number:02d}"
            while (unit.pk, code) in used:
                number += 1000
                code = f"{prefix}-{number:02d}"
            used.add((unit.pk, code))
            withdrawn = i % 20 == 19
            next_review = self.today + timedelta(days=self.rng.randint(-60, 330))
            docs.append(
                Document(
                    code=code,
                    title=f"{title} ({unit.name})" if unit.depth == 2 else title,
                    doc_type=doc_type,
                    owner_unit=unit,
                    owner=self.head_of.get(unit.pk) or self.iso,
                    process="Quản lý chất lượng" if i % 2 else "Dạy và học",
                    confidentiality=Confidentiality.PUBLIC
                    if i % 7 == 0
                    else Confidentiality.INTERNAL,
                    retention_years=10 if i % 3 else None,
                    status=RevisionStatus.OBSOLETE if withdrawn else RevisionStatus.EFFECTIVE,
                    effective_date=self.today - timedelta(days=400) if not withdrawn else None,
                    next_review_date=None if withdrawn else next_review,
                )
            )
        for doc in docs:
            doc.search_text = fold_join(doc.code, doc.title, doc.process, *SUMMARIES[:per_doc])
        self.bulk(Document, docs)
        sha = "ab" * 32
        revisions = []
        for i, doc in enumerate(docs):
            withdrawn = doc.status == RevisionStatus.OBSOLETE
            draft_last = i % 10 == 3 and per_doc > 1
            for number in range(1, per_doc + 1):
                last = number == per_doc
                if withdrawn:
                    status = RevisionStatus.OBSOLETE if last else RevisionStatus.SUPERSEDED
                elif draft_last and last:
                    status = RevisionStatus.DRAFT
                elif (draft_last and number == per_doc - 1) or last:
                    status = RevisionStatus.EFFECTIVE
                else:
                    status = RevisionStatus.SUPERSEDED
                published = status != RevisionStatus.DRAFT
                approver = self.iso if doc.owner_id != self.iso.pk else self.director
                revisions.append(
                    Revision(
                        document=doc,
                        number=number,
                        status=status,
                        change_summary=SUMMARIES[(number - 1) % len(SUMMARIES)],
                        file=f"documents/{doc.pk}/{number}/{doc.code}.pdf",
                        file_name=f"{doc.code}.pdf",
                        file_kind="pdf",
                        file_size=120_000 + number,
                        sha256=sha,
                        author=doc.owner,
                        approver=approver if published else None,
                        submitted_at=self.aware(self.today - timedelta(days=500 - 100 * number))
                        if published
                        else None,
                        approved_at=self.aware(self.today - timedelta(days=490 - 100 * number))
                        if published
                        else None,
                        effective_date=self.today - timedelta(days=480 - 100 * number)
                        if published
                        else None,
                        superseded_at=self.aware(self.today - timedelta(days=380 - 100 * number))
                        if status == RevisionStatus.SUPERSEDED
                        else None,
                        obsolete_at=self.aware(self.today - timedelta(days=30))
                        if status == RevisionStatus.OBSOLETE
                        else None,
                        obsolete_reason="Hết hiệu lực theo quyết định của Giám đốc Sở"
                        if status == RevisionStatus.OBSOLETE
                        else "",
                    )
                )
        self.bulk(Revision, revisions)
        effective = {r.document_id: r for r in revisions if r.status == RevisionStatus.EFFECTIVE}
        # One set-based UPDATE (bulk_update's CASE per row is quadratic in the batch size).
        doc_table, rev_table = Document._meta.db_table, Revision._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                UPDATE {doc_table} SET effective_revision_id = r.id, effective_date = r.effective_date
                FROM {rev_table} r
                WHERE r.document_id = {doc_table}.id AND r.status = 'effective'
                  AND {doc_table}.owner_unit_id IN (SELECT id FROM {OrgUnit._meta.db_table} WHERE path LIKE %s)
                """,  # noqa: S608 - table names from model metadata
                [self.root.path + "%"],
            )
        # Each effective revision is distributed to its owner unit's subtree.
        self.bulk(
            Distribution,
            [
                Distribution(revision=r, unit_id=r.document.owner_unit_id, created_by=r.author)
                for r in effective.values()
            ],
        )
        self.documents = docs

    # --- audits ----------------------------------------------------------------------------

    def seed_audits(self):
        from audits.models import (
            Audit,
            AuditProgramme,
            AuditTeamMember,
            Finding,
            FindingEvidence,
            FindingGrade,
        )

        clauses = list(Clause.objects.filter(number__contains=".").order_by("sort_key")[:60])
        grades = list(FindingGrade.objects.order_by("order"))
        weights = {"major_nc": 1, "minor_nc": 4, "observation": 3, "ofi": 3, "good_practice": 1}
        grade_pool = [g for g in grades for _ in range(weights.get(g.code, 1))]
        years = [self.year.start_year - 2, self.year.start_year - 1, self.year.start_year]
        programmes = self.bulk(
            AuditProgramme,
            [
                AuditProgramme(
                    unit=self.root,
                    start_year=y,
                    title=f"Chương trình đánh giá nội bộ năm học {y}-{y + 1}",
                    objectives="Đánh giá sự phù hợp và hiệu lực của hệ thống quản lý tích hợp.",
                    owner=self.iso,
                    status=AuditProgramme.Status.APPROVED,
                    approved_at=self.aware(date(y, 9, 10)),
                )
                for y in years
            ],
        )
        total = self.plan.counts["audits"]
        audits = []
        for i in range(total):
            programme = programmes[i * len(programmes) // total]
            y = programme.start_year
            start = date(y, 10, 1) + timedelta(days=(i * 7) % 240)
            end = start + timedelta(days=1)
            current = y == self.year.start_year
            if not current:
                status = Audit.Status.CLOSED
            elif end < self.today - timedelta(days=20):
                status = Audit.Status.REPORT_ISSUED
            elif end < self.today:
                status = Audit.Status.REPORTING
            elif start <= self.today:
                status = Audit.Status.IN_PROGRESS
            else:
                status = Audit.Status.PLAN_APPROVED if i % 2 else Audit.Status.PLANNED
            if i == 0:
                status = Audit.Status.REPORT_ISSUED
            issued = status in (Audit.Status.REPORT_ISSUED, Audit.Status.CLOSED)
            school = self.schools[i % len(self.schools)]
            code = f"DG-{y}-{i + 1:05d}"
            title = f"Đánh giá nội bộ {school.name}"
            places = f"{school.name}, {school.parent.name if school.parent_id else ''}"
            audits.append(
                Audit(
                    programme=programme,
                    code=code,
                    title=title,
                    objectives="Xác định mức độ phù hợp của hệ thống với ISO 9001 và ISO 21001.",
                    planned_start=start,
                    planned_end=end,
                    places=places,
                    status=status,
                    started_at=self.aware(start) if status not in Audit.EDITABLE_STATES else None,
                    fieldwork_ended_at=self.aware(end, 17) if issued else None,
                    report_due=end + timedelta(days=10),
                    participants="Đoàn đánh giá và Ban giám hiệu nhà trường" if issued else "",
                    conclusions="Hệ thống được duy trì, cần khắc phục các điểm đã nêu."
                    if issued
                    else "",
                    degree_of_conformity="Phù hợp phần lớn các yêu cầu" if issued else "",
                    diverging_opinions="Không có" if issued else "",
                    report_issued_at=self.aware(end + timedelta(days=5)) if issued else None,
                    closed_at=self.aware(end + timedelta(days=60))
                    if status == Audit.Status.CLOSED
                    else None,
                    search_text=fold_join(code, title, "", places),
                    created_by=self.iso,
                )
            )
        self.bulk(Audit, audits)
        scope = Audit.scope_units.through
        self.bulk(
            scope,
            [
                scope(audit_id=a.pk, orgunit_id=self.schools[i % len(self.schools)].pk)
                for i, a in enumerate(audits)
            ],
        )
        audit_clauses = Audit.clauses.through
        self.bulk(
            audit_clauses,
            [
                audit_clauses(audit_id=a.pk, clause_id=clauses[(i + k) % len(clauses)].pk)
                for i, a in enumerate(audits)
                for k in range(3)
            ],
        )
        team = []
        for i, audit in enumerate(audits):
            lead = self.lead if i == 0 else self.auditors[i % len(self.auditors)]
            other = self.auditors[(i + 1) % len(self.auditors)]
            team.append(AuditTeamMember(audit=audit, user=lead, role="lead", added_by=self.iso))
            if other.pk != lead.pk:
                team.append(
                    AuditTeamMember(audit=audit, user=other, role="auditor", added_by=self.iso)
                )
        self.bulk(AuditTeamMember, team)
        # Findings: the first audit gets PDF_AUDIT_FINDINGS, the rest are spread over audits
        # that reached fieldwork.
        recording = [a for a in audits[1:] if a.status not in Audit.EDITABLE_STATES] or audits
        total_findings = self.plan.counts["findings"]
        first = min(PDF_AUDIT_FINDINGS, total_findings)
        findings = []
        for n in range(total_findings):
            audit = audits[0] if n < first else recording[n % len(recording)]
            grade = grade_pool[n % len(grade_pool)]
            closed = audit.status == Audit.Status.CLOSED
            created = self.aware(audit.planned_start, 10)
            findings.append(
                Finding(
                    audit=audit,
                    grade=grade,
                    unit_id=self._audit_school(audits, audit).pk,
                    statement=FINDING_STATEMENTS[n % len(FINDING_STATEMENTS)],
                    status=Finding.Status.CLOSED if closed else Finding.Status.OPEN,
                    created_by=audit.created_by,
                    created_at=created + timedelta(minutes=n % 500),
                    closed_by=self.iso if closed else None,
                    closed_at=audit.closed_at if closed else None,
                )
            )
        self.bulk(Finding, findings)
        finding_clauses = Finding.clauses.through
        self.bulk(
            finding_clauses,
            [
                finding_clauses(finding_id=f.pk, clause_id=clauses[n % len(clauses)].pk)
                for n, f in enumerate(findings)
            ],
        )
        evidence = []
        for n, finding in enumerate(findings):
            if n % 3 == 0:
                evidence.append(
                    FindingEvidence(
                        finding=finding,
                        kind="document",
                        reference=f"QT-{n % 20 + 1:02d} lần ban hành {n % 3 + 1}",
                        text="Đối chiếu bản đang sử dụng tại tổ chuyên môn.",
                        created_by=finding.created_by,
                    )
                )
            else:
                evidence.append(
                    FindingEvidence(
                        finding=finding,
                        kind="note",
                        text="Phỏng vấn tổ trưởng chuyên môn và xem sổ ghi chép.",
                        created_by=finding.created_by,
                    )
                )
        self.bulk(FindingEvidence, evidence)
        self.audits = audits
        self.findings = findings

    def _audit_school(self, audits, audit):
        cache = getattr(self, "_audit_index", None)
        if cache is None:
            cache = self._audit_index = {a.pk: i for i, a in enumerate(audits)}
        return self.schools[cache[audit.pk] % len(self.schools)]

    # --- nonconformities -------------------------------------------------------------------

    def seed_nonconformities(self):
        from audits.models import Finding
        from nonconformities.models import (
            CorrectiveAction,
            Nonconformity,
            NumberSequence,
            Verification,
        )

        Status = Nonconformity.Status
        # (status, share in 100)
        mix = [
            (Status.CLOSED, 55),
            (Status.OPEN, 10),
            (Status.CONTAINED, 5),
            (Status.ANALYSED, 5),
            (Status.EXTENT_CHECKED, 3),
            (Status.IN_ACTION, 15),
            (Status.AWAITING_VERIFICATION, 5),
            (Status.VERIFIED, 2),
        ]
        pool = [s for s, share in mix for _ in range(share)]
        EXTENT_DONE = {  # noqa: N806
            Status.EXTENT_CHECKED,
            Status.IN_ACTION,
            Status.AWAITING_VERIFICATION,
            Status.VERIFIED,
            Status.CLOSED,
        }
        finding_ct = ContentType.objects.get_for_model(Finding)
        nc_findings = [f for f in self.findings if f.grade.severity]
        total = self.plan.counts["nonconformities"]
        years = [self.year.start_year - 2, self.year.start_year - 1, self.year.start_year]
        sequences = dict.fromkeys(years, 0)
        units = self.schools * 3 + self.communes + self.divisions
        rows = []
        for n in range(total):
            status = pool[n % len(pool)]
            from_finding = nc_findings[n] if n < len(nc_findings) else None
            if from_finding is not None:
                unit_id = from_finding.unit_id
                reported_on = timezone.localtime(from_finding.created_at).date()
                source = Nonconformity.Source.INTERNAL_AUDIT
                severity = from_finding.grade.severity
            else:
                unit_id = units[n % len(units)].pk
                reported_on = self.today - timedelta(days=self.rng.randint(0, 900))
                source = [
                    Nonconformity.Source.COMPLAINT,
                    Nonconformity.Source.PROCESS_MONITORING,
                    Nonconformity.Source.SURVEY,
                    Nonconformity.Source.SELF_ASSESSMENT,
                    Nonconformity.Source.EXTERNAL_AUDIT,
                ][n % 5]
                severity = "major" if n % 9 == 0 else "minor"
            if reported_on > self.today:
                reported_on = self.today
            year = reported_on.year
            sequences[year] = sequences.get(year, 0) + 1
            sequence = sequences[year]
            number = f"NC-{year}-{sequence:04d}"
            title = NC_TITLES[n % len(NC_TITLES)]
            description = f"{title}. Phát hiện khi kiểm tra ngày {reported_on:%d/%m/%Y}."
            reporter = self.iso if n % 2 else self.lead
            closer = self.director if reporter.pk != self.director.pk else self.iso
            closed = status == Status.CLOSED
            verified = status in (Status.VERIFIED, Status.CLOSED)
            rows.append(
                Nonconformity(
                    number=number,
                    year=year,
                    sequence=sequence,
                    unit_id=unit_id,
                    title=title,
                    description=description,
                    source=source,
                    severity=severity,
                    status=status,
                    source_content_type=finding_ct if from_finding else None,
                    source_object_id=str(from_finding.pk) if from_finding else None,
                    reported_by=reporter,
                    reported_on=reported_on,
                    due=reported_on + timedelta(days=60),
                    containment="Tạm dừng sử dụng, hướng dẫn lại cán bộ liên quan."
                    if status != Status.OPEN
                    else "",
                    contained_by=reporter if status != Status.OPEN else None,
                    contained_on=reported_on + timedelta(days=3) if status != Status.OPEN else None,
                    root_cause="Chưa phân công rõ trách nhiệm cập nhật hồ sơ."
                    if status not in (Status.OPEN, Status.CONTAINED)
                    else "",
                    extent_check="Đã rà soát các tổ chuyên môn khác, không phát hiện tương tự."
                    if status in EXTENT_DONE
                    else "",
                    completed_actions=2
                    if verified or status == Status.AWAITING_VERIFICATION
                    else 0,
                    planned_verifier=closer
                    if verified or status == Status.AWAITING_VERIFICATION
                    else None,
                    verification_due=reported_on + timedelta(days=90) if verified else None,
                    verification_result="effective" if verified else "",
                    closed_by=closer if closed else None,
                    closed_at=self.aware(reported_on + timedelta(days=100)) if closed else None,
                    search_text=fold_join(number, title, description),
                )
            )
        self.bulk(Nonconformity, rows)
        for year, last in sequences.items():
            NumberSequence.objects.update_or_create(year=year, defaults={"last": last})
        # Actions: two per NC that reached the action step, the rest spread over them.
        with_actions = [
            nc
            for nc in rows
            if nc.status
            in (Status.IN_ACTION, Status.AWAITING_VERIFICATION, Status.VERIFIED, Status.CLOSED)
        ] or rows
        actions = []
        for n in range(self.plan.counts["actions"]):
            nc = with_actions[n % len(with_actions)]
            done = nc.status != Status.IN_ACTION or n % 3 == 0
            if nc.status == Status.IN_ACTION and not done:
                due = self.today + timedelta(days=(n % 90) - 45)  # a share overdue
            else:
                due = nc.reported_on + timedelta(days=30)
            owner = self.head_of.get(nc.unit_id) or self.iso
            actions.append(
                CorrectiveAction(
                    nonconformity=nc,
                    description="Cập nhật hồ sơ và tập huấn lại cho giáo viên.",
                    owner=owner,
                    due=due,
                    status=CorrectiveAction.Status.DONE if done else CorrectiveAction.Status.OPEN,
                    evidence="Biên bản tập huấn và hồ sơ đã cập nhật." if done else "",
                    completed_at=self.aware(due) if done else None,
                    created_by=nc.reported_by,
                )
            )
        self.bulk(CorrectiveAction, actions)
        self.bulk(
            Verification,
            [
                Verification(
                    nonconformity=nc,
                    round=1,
                    verifier=nc.planned_verifier,
                    result="effective",
                    notes="Kiểm tra lại sau 3 tháng: không tái diễn.",
                    verified_on=nc.verification_due,
                )
                for nc in rows
                if nc.verification_result
            ],
        )

    # --- surveys ---------------------------------------------------------------------------

    def seed_survey_setup(self):
        from surveys.models import (
            Area,
            Campaign,
            CampaignUnit,
            Instrument,
            InstrumentVersion,
            Question,
            Section,
            SurveyLink,
        )

        areas = list(Area.objects.order_by("order"))
        self.campaigns = []
        questions_by_group = {}
        for group, title in [
            ("parents", "Phiếu khảo sát sự hài lòng của cha mẹ học sinh"),
            ("learners", "Phiếu khảo sát sự hài lòng của người học"),
            ("staff", "Phiếu khảo sát sự hài lòng của giáo viên, nhân viên"),
        ]:
            instrument = Instrument.objects.create(
                owner_unit=self.root, title=title, group=group, created_by=self.iso
            )
            version = InstrumentVersion.objects.create(
                instrument=instrument, number=1, intro="Phiếu khảo sát ẩn danh.", has_responses=True
            )
            section = Section.objects.create(version=version, order=1, title="Mức độ hài lòng")
            questions = []
            for order in range(1, QUESTIONS - 1):
                area = areas[(order - 1) % len(areas)]
                questions.append(
                    Question(
                        version=version,
                        section=section,
                        order=order,
                        code=f"q{order}",
                        kind="likert",
                        text=f"Mức độ hài lòng về {area.name.lower()} (ý {order})",
                        required=order <= 5,
                        area=area,
                    )
                )
            questions.append(
                Question(
                    version=version,
                    section=section,
                    order=QUESTIONS - 1,
                    code="nps",
                    kind="nps",
                    text="Anh/chị có giới thiệu nhà trường cho người quen không?",
                )  # fmt: skip
            )
            questions.append(
                Question(
                    version=version,
                    section=section,
                    order=QUESTIONS,
                    code="ykien",
                    kind="short_text",
                    text="Ý kiến khác",
                )  # fmt: skip
            )
            self.bulk(Question, questions)
            questions_by_group[group] = questions
            for year_offset, status in (
                (1, Campaign.Status.CLOSED),
                (0, Campaign.Status.PUBLISHED),
            ):
                y = self.year.start_year - year_offset
                opens = date(y, 11, 1)
                closes = date(y + 1, 1, 31) if year_offset == 0 else date(y, 12, 31)
                if year_offset == 0 and not (opens <= self.today <= closes):
                    opens, closes = self.today - timedelta(days=20), self.today + timedelta(days=40)
                campaign = Campaign.objects.create(
                    version=version,
                    title=f"{title} năm học {y}-{y + 1}",
                    group=group,
                    owner_unit=self.root,
                    opens_on=opens,
                    closes_on=closes,
                    status=status,
                    target_responses=len(self.schools) * 200,
                    created_by=self.iso,
                )
                CampaignUnit.objects.create(campaign=campaign, unit=self.root)
                self.bulk(
                    SurveyLink,
                    [
                        SurveyLink(
                            campaign=campaign,
                            unit=school,
                            code=f"S{campaign.pk:04d}{school.pk:07d}".upper(),
                        )
                        for school in self.schools
                    ],
                )
                self.campaigns.append(campaign)
        self.questions_by_group = questions_by_group

    def seed_responses(self):
        total = self.plan.counts["responses"]
        # Current campaigns get 60% of the responses, last year's 40%.
        shares = []
        for campaign in self.campaigns:
            current = campaign.status == "published"
            shares.append(0.6 / 3 if current else 0.4 / 3)
        plan = []
        assigned = 0
        for i, (campaign, share) in enumerate(zip(self.campaigns, shares, strict=True)):
            count = total - assigned if i == len(self.campaigns) - 1 else round(total * share)
            assigned += count
            plan.append((campaign, count))
        if self.postgres:
            self._responses_postgres(plan)
        else:
            self._responses_orm(plan)

    def _answer_spec(self, campaign):
        return [(q.pk, q.kind) for q in self.questions_by_group[campaign.group]]

    def _responses_orm(self, plan):
        import uuid

        from surveys.models import Response

        school_ids = [s.pk for s in self.schools]
        for campaign, count in plan:
            spec = self._answer_spec(campaign)
            span = max(1, (min(campaign.closes_on, self.today) - campaign.opens_on).days)
            responses = []
            for _n in range(count):
                answers = []
                for qid, kind in spec:
                    if kind == "likert":
                        answers.append([qid, self._likert(), ""])
                    elif kind == "nps":
                        answers.append([qid, self.rng.randint(0, 10), ""])
                    elif self.rng.random() < 0.05:
                        answers.append([qid, None, "Nhà trường cần thêm sân chơi."])
                responses.append(
                    Response(
                        id=uuid.uuid4(),
                        campaign_id=campaign.pk,
                        version_id=campaign.version_id,
                        unit_id=self.rng.choice(school_ids),
                        submitted_on=campaign.opens_on + timedelta(days=self.rng.randrange(span)),
                        language="vi",
                        answers=answers,
                    )
                )
            with transaction.atomic():
                self.bulk(Response, responses)

    def _likert(self):
        return 1 + min(4, int(5 * self.rng.random() ** 0.6))

    def _responses_postgres(self, plan):
        from surveys.models import Response

        tables = [Response._meta.db_table]
        school_ids = [s.pk for s in self.schools]
        with connection.cursor() as cursor:
            saved = _drop_indexes(cursor, tables)
        try:
            jobs = []
            for campaign, count in plan:
                span = max(1, (min(campaign.closes_on, self.today) - campaign.opens_on).days)
                jobs.append((campaign, count, span, self._answer_spec(campaign)))
            # Two sessions in parallel (one per core), each a share of the campaigns.
            errors = []
            lanes = [jobs[0::2], jobs[1::2]]
            threads = [
                threading.Thread(target=self._lane, args=(lane, school_ids, errors))
                for lane in lanes
                if lane
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            if errors:
                raise errors[0]
        finally:
            with connection.cursor() as cursor:
                started = time.perf_counter()
                _restore_indexes(cursor, saved)
                self.log(
                    f"    indexes and constraints rebuilt in {time.perf_counter() - started:.1f} s"
                )

    def _lane(self, jobs, school_ids, errors):
        from surveys.models import Response

        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("SET synchronous_commit = off")
                for campaign, count, span, spec in jobs:
                    # A random school and date each; ids are random UUIDs. Likert answers lean
                    # to "satisfied", as real ones do, and a school-level offset spreads the
                    # schools' indexes; NPS is uniform; one text question in twenty is answered.
                    # (The answers' subquery reads the row's unit, so it runs for every row.)
                    cursor.execute(
                        f"""
                        INSERT INTO {Response._meta.db_table}
                            (id, campaign_id, version_id, unit_id, submitted_on, language, answers)
                        SELECT r.id, %(campaign)s, %(version)s, r.unit_id, r.day, 'vi', (
                            SELECT jsonb_agg(jsonb_build_array(
                                q.qid,
                                CASE q.kind
                                WHEN 'likert' THEN 1 + least(4, floor(5 * power(
                                    random(), 0.45 + (r.unit_id %% 7) * 0.05)))::int
                                WHEN 'nps' THEN floor(random() * 11)::int
                                END,
                                CASE WHEN q.kind IN ('likert', 'nps') THEN ''
                                ELSE 'Nhà trường cần thêm sân chơi.' END
                            ) ORDER BY q.n)
                            FROM unnest(%(qids)s::bigint[], %(kinds)s::text[])
                                WITH ORDINALITY AS q(qid, kind, n)
                            WHERE q.kind IN ('likert', 'nps') OR random() < 0.05
                        )
                        FROM (
                            SELECT gen_random_uuid() AS id,
                                (%(schools)s::bigint[])[1 + floor(random() * %(n_schools)s)::int]
                                    AS unit_id,
                                %(opens)s::date + floor(random() * %(span)s)::int AS day
                            FROM generate_series(1, %(count)s)
                        ) r
                        """,  # noqa: S608 - table names from model metadata
                        {
                            "campaign": campaign.pk,
                            "version": campaign.version_id,
                            "qids": [qid for qid, _kind in spec],
                            "kinds": [kind for _qid, kind in spec],
                            "schools": school_ids,
                            "n_schools": len(school_ids),
                            "opens": campaign.opens_on,
                            "span": span,
                            "count": count,
                        },
                    )
        except Exception as exc:  # handed to the main thread
            errors.append(exc)
        finally:
            connections["default"].close()

    def rebuild_tallies(self):
        """The counters the results pages read, from the raw answers."""
        if not self.postgres:
            from surveys.services import tally_rebuild

            for campaign in self.campaigns:
                with transaction.atomic():
                    tally_rebuild(campaign)
            return
        # One pass over the answers instead of the surveys app's per-campaign rebuild (same
        # numbers, all in shard 0: these instruments have no multiple-choice question, so a respondent gives at
        # most one answer per question and answers per question equal respondents).
        from surveys.models import QuestionTally, Response, UnitTally, ValueTally

        response = Response._meta.db_table
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '512MB'")
            cursor.execute(
                f"""
                CREATE TEMPORARY TABLE scale_value_counts ON COMMIT DROP AS
                SELECT r.campaign_id, r.unit_id, (a->>0)::bigint AS question_id,
                    (a->>1)::int AS value, count(*) AS n
                FROM {response} r, jsonb_array_elements(r.answers) AS a
                GROUP BY 1, 2, 3, 4
                """  # noqa: S608 - table names from model metadata
            )
            cursor.execute(
                f"""
                INSERT INTO {ValueTally._meta.db_table}
                    (campaign_id, unit_id, question_id, value, shard, count)
                SELECT campaign_id, unit_id, question_id, value, 0, n
                FROM scale_value_counts WHERE value IS NOT NULL
                """  # noqa: S608
            )
            cursor.execute(
                f"""
                INSERT INTO {QuestionTally._meta.db_table}
                    (campaign_id, unit_id, question_id, shard, count)
                SELECT campaign_id, unit_id, question_id, 0, sum(n)
                FROM scale_value_counts GROUP BY 1, 2, 3
                """  # noqa: S608
            )
            cursor.execute(
                f"""
                INSERT INTO {UnitTally._meta.db_table} (campaign_id, unit_id, shard, count)
                SELECT campaign_id, unit_id, 0, count(*) FROM {response} GROUP BY 1, 2
                """  # noqa: S608
            )

    def rebuild_coverage(self):
        """The documents app's coverage roll-up, which the bulk inserts above bypass."""
        from documents.coverage import rebuild

        rebuild()

    def analyse(self):
        if self.postgres:
            with connection.cursor() as cursor:
                cursor.execute("VACUUM (ANALYZE)")


# --- index handling for the bulk load (PostgreSQL) -------------------------------------------


def _drop_indexes(cursor, tables):
    """Drop the constraints and indexes of ``tables`` (empty); return what to recreate."""
    saved = []
    for table in tables:
        cursor.execute(
            "SELECT count(*) FROM (SELECT 1 FROM " + table + " LIMIT 1) t"  # noqa: S608
        )
        if cursor.fetchone()[0]:
            raise RuntimeError(f"{table} is not empty: seed_scale needs a fresh database")
    for table in tables:
        cursor.execute(
            """
            SELECT conname, pg_get_constraintdef(oid), contype
            FROM pg_constraint WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'f', 'c')
            """,
            [table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            WHERE i.indrelid = %s::regclass
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid
                              AND c.conrelid = i.indrelid)
            """,
            [table],
        )
        indexes = cursor.fetchall()
        saved.append((table, constraints, indexes))
    # Foreign keys first (the answers reference the responses), then keys, checks and indexes.
    for table, constraints, _indexes in saved:
        for name, _definition, kind in constraints:
            if kind == "f":
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for table, constraints, indexes in saved:
        for name, _definition, kind in constraints:
            if kind != "f":
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    return saved


def _restore_indexes(cursor, saved):
    cursor.execute("SET maintenance_work_mem = '512MB'")
    cursor.execute("SET max_parallel_maintenance_workers = 2")
    order = {"p": 0, "u": 1, "c": 2, "f": 3}
    for table, _constraints, _indexes in saved:
        cursor.execute(f"ANALYZE {table}")
    # Keys before foreign keys (an FK needs the referenced key); the responses table first.
    for rank in (0, 1, 2):
        for table, constraints, _indexes in reversed(saved):
            for name, definition, kind in constraints:
                if order[kind] == rank:
                    cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for _table, _constraints, indexes in reversed(saved):
        for _name, definition in indexes:
            cursor.execute(definition)
    for table, constraints, _indexes in reversed(saved):
        for name, definition, kind in constraints:
            if kind == "f":
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
