"""Demo documents for Sở GD&ĐT Sơn La: about 60 documents in every lifecycle state.

Idempotent: a document is found by its owner unit and code before it is created. Every step of
its history goes through the services, signed with the demo password; only what a service stamps
with "now" is written with its past date (distribution entries, acknowledgements), as a migration
of paper records would. ``iso`` then takes the draft QT-23 through the same steps on the pages.
Each file is a small PDF generated here.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from ims.demo import DEMO_PASSWORD
from ims.models import Clause

from . import coverage, services
from .models import (
    Acknowledgement,
    Confidentiality,
    Distribution,
    Document,
    DocumentType,
    ExternalStatus,
    Revision,
    RevisionStatus,
    add_months,
)
from .sample_pdf import sample_pdf

ORDER = 10

S = RevisionStatus
T = DocumentType
ROOT = "SGDDT-SL"
SCHOOL = "SL-TH-TH"  # principal's and teacher's school
SCHOOL2 = "SL-CS-TH"  # principal2's school

# code, title, type, owner unit, owner, process, ISO 9001 clauses, plan
# plan: "eff" (one effective revision), "eff2"/"eff3" (older revisions superseded), "draft",
# "review", "approved", "eff+review", "obsolete", "due" (review due soon), "overdue".
SYSTEM = [
    (
        "STCL-01",
        "Sổ tay chất lượng",
        T.MANUAL,
        "SL-QLCL",
        "iso",
        "Hệ thống quản lý",
        ["4.3", "4.4"],
        "eff2",
    ),
    ("CS-01", "Chính sách chất lượng", T.POLICY, "SL-QLCL", "director", "Lãnh đạo", ["5.2"], "eff"),
    (
        "MT-01",
        "Mục tiêu chất lượng năm học 2025–2026",
        T.PLAN,
        "SL-QLCL",
        "iso",
        "Lãnh đạo",
        ["6.2"],
        "eff",
    ),
    (
        "QT-01",
        "Quy trình kiểm soát tài liệu",
        T.PROCEDURE,
        "SL-QLCL",
        "iso",
        "Quản lý tài liệu",
        ["7.5", "7.5.2", "7.5.3"],
        "eff3",
    ),
    (
        "QT-02",
        "Quy trình kiểm soát hồ sơ",
        T.PROCEDURE,
        "SL-QLCL",
        "iso",
        "Quản lý hồ sơ",
        ["7.5.3"],
        "eff2",
    ),
    (
        "QT-03",
        "Quy trình đánh giá nội bộ",
        T.PROCEDURE,
        "SL-QLCL",
        "iso",
        "Đánh giá nội bộ",
        ["9.2"],
        "eff2",
    ),
    (
        "QT-04",
        "Quy trình kiểm soát sự không phù hợp và hành động khắc phục",
        T.PROCEDURE,
        "SL-QLCL",
        "iso",
        "Cải tiến",
        ["10.2"],
        "eff",
    ),
    (
        "QT-05",
        "Quy trình đo lường sự hài lòng",
        T.PROCEDURE,
        "SL-QLCL",
        "iso",
        "Đo lường và phân tích",
        ["9.1.2"],
        "eff",
    ),
    (
        "QT-06",
        "Quy trình xem xét của lãnh đạo",
        T.PROCEDURE,
        "SL-QLCL",
        "iso",
        "Lãnh đạo",
        ["9.3"],
        "eff+review",
    ),
    (
        "QT-07",
        "Quy trình quản lý rủi ro và cơ hội",
        T.PROCEDURE,
        "SL-QLCL",
        "iso",
        "Hoạch định",
        ["6.1"],
        "draft",
    ),
    (
        "QT-08",
        "Quy trình cải tiến hệ thống quản lý chất lượng",
        T.PROCEDURE,
        "SL-QLCL",
        "iso",
        "Cải tiến",
        ["10.3"],
        "approved",
    ),
    (
        "QT-09",
        "Quy trình tiếp nhận và xử lý văn bản đến",
        T.PROCEDURE,
        "SL-VP",
        "vp.staff",
        "Văn thư",
        ["7.4"],
        "eff",
    ),
    (
        "QT-10",
        "Quy trình phát hành văn bản đi",
        T.PROCEDURE,
        "SL-VP",
        "vp.staff",
        "Văn thư",
        ["7.4"],
        "obsolete",
    ),
    (
        "QT-11",
        "Quy trình tuyển dụng viên chức",
        T.PROCEDURE,
        "SL-TCCB",
        "director",
        "Tổ chức cán bộ",
        ["7.1.2", "7.2"],
        "overdue",
    ),
    (
        "QT-12",
        "Quy trình đào tạo, bồi dưỡng cán bộ, giáo viên",
        T.PROCEDURE,
        "SL-TCCB",
        "director",
        "Tổ chức cán bộ",
        ["7.2", "7.3"],
        "eff+review",
    ),
    (
        "QT-13",
        "Quy trình quản lý tài sản công",
        T.PROCEDURE,
        "SL-KHTC",
        "deputy",
        "Tài chính",
        ["7.1.3"],
        "eff",
    ),
    (
        "QT-14",
        "Quy trình lập và giao dự toán ngân sách",
        T.PROCEDURE,
        "SL-KHTC",
        "deputy",
        "Tài chính",
        ["7.1.1"],
        "eff",
    ),
    (
        "QT-15",
        "Quy trình kiểm tra công tác phổ cập giáo dục mầm non",
        T.PROCEDURE,
        "SL-GDMN",
        "gdmn.head",
        "Giáo dục mầm non",
        ["8.5"],
        "eff",
    ),
    (
        "QT-16",
        "Quy trình tổ chức kỳ thi chọn học sinh giỏi cấp tỉnh",
        T.PROCEDURE,
        "SL-GDTrH",
        "gdtrh.head",
        "Khảo thí",
        ["8.5", "8.6"],
        "eff2",
    ),
    (
        "QT-17",
        "Quy trình tổ chức kỳ thi tốt nghiệp trung học phổ thông",
        T.PROCEDURE,
        "SL-GDTrH",
        "gdtrh.head",
        "Khảo thí",
        ["8.5", "8.6"],
        "due",
    ),
    (
        "QT-18",
        "Quy trình tuyển sinh vào lớp 10 trung học phổ thông",
        T.PROCEDURE,
        "SL-GDTrH",
        "gdtrh.head",
        "Tuyển sinh",
        ["8.2"],
        "eff",
    ),
    (
        "QT-19",
        "Quy trình kiểm định chất lượng giáo dục và công nhận trường đạt chuẩn quốc gia",
        T.PROCEDURE,
        "SL-QLCL",
        "iso",
        "Kiểm định chất lượng",
        ["9.1"],
        "eff",
    ),
    (
        "QT-20",
        "Quy trình cấp phát và quản lý văn bằng, chứng chỉ",
        T.PROCEDURE,
        "SL-QLCL",
        "iso",
        "Văn bằng, chứng chỉ",
        ["8.5.2"],
        "eff",
    ),
    (
        "QT-21",
        "Quy trình giải quyết khiếu nại, tố cáo",
        T.PROCEDURE,
        "SL-TTra",
        "leadauditor",
        "Thanh tra",
        ["9.1.2"],
        "eff",
    ),
    (
        "QT-22",
        "Quy trình thanh tra chuyên ngành giáo dục",
        T.PROCEDURE,
        "SL-TTra",
        "leadauditor",
        "Thanh tra",
        ["9.1"],
        "eff",
    ),
    (
        "QT-23",
        "Quy trình kiểm tra nội bộ trường tiểu học",
        T.PROCEDURE,
        "SL-GDTH",
        "head",
        "Giáo dục tiểu học",
        ["9.1", "9.2"],
        "iso-demo",
    ),
    (
        "HD-01",
        "Hướng dẫn mã hóa và trình bày tài liệu nội bộ",
        T.INSTRUCTION,
        "SL-QLCL",
        "iso",
        "Quản lý tài liệu",
        ["7.5.2"],
        "eff",
    ),
    (
        "HD-02",
        "Hướng dẫn viết quy trình và lưu đồ",
        T.INSTRUCTION,
        "SL-QLCL",
        "iso",
        "Quản lý tài liệu",
        ["7.5.2"],
        "eff",
    ),
    (
        "HD-GDTH-01",
        "Hướng dẫn đánh giá học sinh tiểu học theo Thông tư 27/2020/TT-BGDĐT",
        T.INSTRUCTION,
        "SL-GDTH",
        "head",
        "Giáo dục tiểu học",
        ["8.5", "8.6"],
        "due",
    ),
    (
        "HD-GDTH-02",
        "Hướng dẫn xây dựng kế hoạch giáo dục nhà trường cấp tiểu học",
        T.INSTRUCTION,
        "SL-GDTH",
        "head",
        "Giáo dục tiểu học",
        ["8.1"],
        "eff",
    ),
    (
        "KH-01",
        "Kế hoạch duy trì hệ thống quản lý chất lượng năm học 2025–2026",
        T.PLAN,
        "SL-QLCL",
        "iso",
        "Hệ thống quản lý",
        ["6.2", "6.3"],
        "eff",
    ),
    (
        "KH-02",
        "Kế hoạch đánh giá nội bộ năm học 2025–2026",
        T.PLAN,
        "SL-QLCL",
        "iso",
        "Đánh giá nội bộ",
        ["9.2"],
        "eff",
    ),
    (
        "HS-01",
        "Mẫu sổ đăng ký hồ sơ chất lượng",
        T.RECORD,
        "SL-QLCL",
        "iso",
        "Quản lý hồ sơ",
        ["7.5.3"],
        "eff",
    ),
    (
        "HS-02",
        "Mẫu hồ sơ cá nhân viên chức",
        T.RECORD,
        "SL-TCCB",
        "director",
        "Tổ chức cán bộ",
        ["7.5.3"],
        "eff",
    ),
]
FORMS = [
    ("BM-01-01", "Danh mục tài liệu nội bộ", "QT-01"),
    ("BM-01-02", "Phiếu đề nghị soạn thảo, sửa đổi tài liệu", "QT-01"),
    ("BM-01-03", "Danh mục tài liệu có nguồn gốc bên ngoài", "QT-01"),
    ("BM-01-04", "Sổ theo dõi phân phối tài liệu", "QT-01"),
    ("BM-02-01", "Danh mục hồ sơ", "QT-02"),
    ("BM-02-02", "Phiếu đề nghị hủy hồ sơ hết thời hạn lưu trữ", "QT-02"),
    ("BM-03-01", "Chương trình đánh giá nội bộ", "QT-03"),
    ("BM-03-02", "Kế hoạch đánh giá nội bộ", "QT-03"),
    ("BM-03-03", "Phiếu ghi chép đánh giá nội bộ", "QT-03"),
    ("BM-03-04", "Báo cáo đánh giá nội bộ", "QT-03"),
    ("BM-04-01", "Phiếu yêu cầu hành động khắc phục", "QT-04"),
    ("BM-04-02", "Sổ theo dõi sự không phù hợp", "QT-04"),
    ("BM-05-01", "Phiếu khảo sát sự hài lòng của cha mẹ học sinh", "QT-05"),
    ("BM-05-02", "Phiếu khảo sát sự hài lòng của người học", "QT-05"),
    ("BM-05-03", "Phiếu khảo sát sự hài lòng của giáo viên, nhân viên", "QT-05"),
    ("BM-06-01", "Biên bản họp xem xét của lãnh đạo", "QT-06"),
]
# code, title, issuer, number, issue date, status, replaced by (code)
EXTERNAL = [
    (
        "VB-01",
        "Luật Giáo dục",
        "Quốc hội",
        "43/2019/QH14",
        "2019-06-14",
        ExternalStatus.IN_FORCE,
        None,
    ),
    (
        "VB-02",
        "Quy định về kiểm định chất lượng giáo dục và công nhận đạt chuẩn quốc gia đối với trường tiểu học",
        "Bộ Giáo dục và Đào tạo",
        "17/2018/TT-BGDĐT",
        "2018-08-22",
        ExternalStatus.IN_FORCE,
        None,
    ),
    (
        "VB-03",
        "Quy định về kiểm định chất lượng giáo dục và công nhận đạt chuẩn quốc gia đối với trường THCS, THPT và trường phổ thông có nhiều cấp học",
        "Bộ Giáo dục và Đào tạo",
        "18/2018/TT-BGDĐT",
        "2018-08-22",
        ExternalStatus.IN_FORCE,
        None,
    ),
    (
        "VB-04",
        "Quy định về kiểm định chất lượng giáo dục và công nhận đạt chuẩn quốc gia đối với trường mầm non",
        "Bộ Giáo dục và Đào tạo",
        "19/2018/TT-BGDĐT",
        "2018-08-22",
        ExternalStatus.IN_FORCE,
        None,
    ),
    (
        "VB-05",
        "Quy định đánh giá học sinh trung học cơ sở và học sinh trung học phổ thông",
        "Bộ Giáo dục và Đào tạo",
        "22/2021/TT-BGDĐT",
        "2021-07-20",
        ExternalStatus.IN_FORCE,
        None,
    ),
    (
        "VB-06",
        "Quy chế đánh giá, xếp loại học sinh trung học cơ sở và học sinh trung học phổ thông",
        "Bộ Giáo dục và Đào tạo",
        "58/2011/TT-BGDĐT",
        "2011-12-12",
        ExternalStatus.REPLACED,
        "VB-05",
    ),
    (
        "VB-07",
        "Điều lệ trường trung học cơ sở, trường trung học phổ thông và trường phổ thông có nhiều cấp học",
        "Bộ Giáo dục và Đào tạo",
        "32/2020/TT-BGDĐT",
        "2020-09-15",
        ExternalStatus.IN_FORCE,
        None,
    ),
    (
        "VB-08",
        "Điều lệ trường trung học cơ sở, trường trung học phổ thông và trường phổ thông có nhiều cấp học (cũ)",
        "Bộ Giáo dục và Đào tạo",
        "12/2011/TT-BGDĐT",
        "2011-03-28",
        ExternalStatus.REPLACED,
        "VB-07",
    ),
    (
        "VB-09",
        "Quy định đánh giá học sinh tiểu học",
        "Bộ Giáo dục và Đào tạo",
        "27/2020/TT-BGDĐT",
        "2020-09-04",
        ExternalStatus.IN_FORCE,
        None,
    ),
    (
        "VB-10",
        "Về công tác văn thư",
        "Chính phủ",
        "30/2020/NĐ-CP",
        "2020-03-05",
        ExternalStatus.IN_FORCE,
        None,
    ),
    (
        "VB-11",
        "Ban hành Bộ công cụ khảo sát sự hài lòng của người dân đối với dịch vụ giáo dục công",
        "Bộ Giáo dục và Đào tạo",
        "3476/QĐ-BGDĐT",
        "2019-11-19",
        ExternalStatus.IN_FORCE,
        None,
    ),
    (
        "VB-12",
        "Hệ thống quản lý chất lượng – Các yêu cầu",
        "Bộ Khoa học và Công nghệ",
        "TCVN ISO 9001:2015",
        "2015-12-31",
        ExternalStatus.IN_FORCE,
        None,
    ),
]
SCHOOL_DOCS = [
    # code, title, type, unit, owner, plan, confidentiality
    (
        "QT-TH-01",
        "Quy trình tiếp nhận học sinh vào lớp 1",
        T.PROCEDURE,
        SCHOOL,
        "principal",
        "eff",
        Confidentiality.INTERNAL,
    ),
    (
        "QT-TH-02",
        "Quy trình đánh giá học sinh cuối học kỳ",
        T.PROCEDURE,
        SCHOOL,
        "principal",
        "eff2",
        Confidentiality.INTERNAL,
    ),
    (
        "HS-TH-01",
        "Hồ sơ theo dõi học sinh khuyết tật học hòa nhập",
        T.RECORD,
        SCHOOL,
        "principal",
        "eff",
        Confidentiality.RESTRICTED,
    ),
    (
        "KH-TH-01",
        "Kế hoạch giáo dục nhà trường năm học 2025–2026",
        T.PLAN,
        SCHOOL,
        "principal",
        "review-school",
        Confidentiality.INTERNAL,
    ),
    (
        "QT-CS-01",
        "Quy trình tiếp nhận học sinh vào lớp 1",
        T.PROCEDURE,
        SCHOOL2,
        "principal2",
        "eff",
        Confidentiality.INTERNAL,
    ),
    (
        "KH-CS-01",
        "Kế hoạch giáo dục nhà trường năm học 2025–2026",
        T.PLAN,
        SCHOOL2,
        "principal2",
        "eff",
        Confidentiality.INTERNAL,
    ),
]
SUMMARIES = [
    "Ban hành lần đầu.",
    "Cập nhật theo mô hình chính quyền địa phương hai cấp từ ngày 01/7/2025; bỏ cấp phòng GD&ĐT huyện.",
    "Bổ sung yêu cầu của ISO 21001:2018 về người học có nhu cầu đặc biệt; sửa biểu mẫu kèm theo.",
]
# People who acknowledge everything sent to them in the demo, and those who leave some undone.
PENDING = {
    ("teacher", "QT-01"),
    ("teacher", "QT-04"),
    ("teacher", "QT-TH-02"),
    ("principal2", "QT-04"),
    ("principal2", "QT-05"),
    ("auditor", "QT-03"),
    ("leadauditor", "QT-03"),
}
DILIGENT = {"director", "deputy", "iso", "gdmn.head", "gdtrh.head", "vp.staff", "teacher2"}


@contextmanager
def _quietly() -> Iterator[None]:
    """Drop what the steps schedule for after commit: their notifications are for people at
    work now, not for a history that happened before anyone signed in (the demo's inbox is
    ``INBOX``), and the coverage is counted once at the end."""
    with transaction.atomic():
        connection = transaction.get_connection()
        before = len(connection.run_on_commit)
        yield
        del connection.run_on_commit[before:]


def seed(ctx):
    with _quietly():
        _seed(ctx)


def _seed(ctx):
    today = timezone.localdate()
    users, units = ctx.users, ctx.units
    clauses = {c.number: c for c in Clause.objects.filter(criteria_set__code="iso-9001-2015")}
    created = 0
    for code, title, doc_type, unit, owner, process, numbers, plan in SYSTEM:
        confidentiality = Confidentiality.INTERNAL
        if doc_type in (T.POLICY, T.MANUAL):
            confidentiality = Confidentiality.PUBLIC
        document = _document(
            ctx, code, title, doc_type, units[unit], users[owner], process, confidentiality
        )
        if document is None:
            continue
        created += 1
        document.clauses.set([clauses[n] for n in numbers if n in clauses])
        _build(ctx, document, plan, today, distribute_to=[units[ROOT]])
    for code, title, procedure in FORMS:
        document = _document(
            ctx, code, title, T.FORM, units["SL-QLCL"], users["iso"], f"Biểu mẫu của {procedure}"
        )
        if document is None:
            continue
        created += 1
        document.clauses.set([clauses["7.5.3"]] if "7.5.3" in clauses else [])
        _build(ctx, document, "eff", today, distribute_to=[units[ROOT]])
    external = {}
    for code, title, issuer, number, issued, status, replaced in EXTERNAL:
        document = Document.objects.filter(owner_unit=units["SL-VP"], code=code).first()
        if document is None:
            document = Document(
                code=code,
                title=title,
                doc_type=T.EXTERNAL,
                owner_unit=units["SL-VP"],
                owner=users["vp.staff"],
                process="Văn bản đến",
                issuer=issuer,
                external_number=number,
                issued_on=issued,
                external_status=ExternalStatus.IN_FORCE,
                retention_years=None,
                review_interval_months=24,
            )
            document.save()
            created += 1
            _build(ctx, document, "eff", today, distribute_to=[units["SL-QLCL"]])
        external[code] = (document, status, replaced)
    for document, status, replaced in external.values():
        if status == ExternalStatus.REPLACED and document.replaced_by_id is None:
            document.replaced_by = external[replaced][0]
            document.external_status = status
            document.save(update_fields=["replaced_by", "external_status"])
    for code, title, doc_type, unit, owner, plan, confidentiality in SCHOOL_DOCS:
        document = _document(
            ctx,
            code,
            title,
            doc_type,
            units[unit],
            users[owner],
            "Quản lý nhà trường",
            confidentiality,
        )
        if document is None:
            continue
        created += 1
        if confidentiality == Confidentiality.RESTRICTED:
            document.restricted_to.set([users["principal"], users["teacher"]])
        _build(ctx, document, plan, today, distribute_to=[units[unit]])
    _inbox(ctx)
    # The demo writes acknowledgements directly, not through the services: count them.
    coverage.rebuild()
    ctx.log(f"  documents: {created} new, {Document.objects.count()} in total")


# Work waiting in the demo, put in each person's inbox once (no email is sent by the demo).
INBOX = [
    ("iso", "QT-23", "Dự thảo chờ trình soát xét: QT-23 Quy trình kiểm tra nội bộ trường tiểu học"),
    ("director", "QT-06", "Cần phê duyệt: QT-06 lần ban hành 2"),
    ("director", "QT-08", "Đã phê duyệt, chờ ban hành: QT-08"),
    ("deputy", "QT-12", "Cần phê duyệt: QT-12 lần ban hành 2"),
    ("principal", "KH-TH-01", "Cần soát xét: KH-TH-01 Kế hoạch giáo dục nhà trường"),
    ("head", "HD-GDTH-01", "Sắp đến hạn soát xét định kỳ: HD-GDTH-01"),
    ("teacher", "QT-01", "Tài liệu mới cần đọc và xác nhận: QT-01 Quy trình kiểm soát tài liệu"),
    ("principal2", "QT-04", "Tài liệu mới cần đọc và xác nhận: QT-04"),
]


def _inbox(ctx):
    from django.urls import reverse

    from ims.models import Notification

    for username, code, title in INBOX:
        document = Document.objects.filter(code=code).first()
        user = ctx.users.get(username)
        if document is None or user is None:
            continue
        Notification.objects.get_or_create(
            dedupe_key=f"documents.demo:{code}:{user.pk}",
            defaults={
                "user": user,
                "kind": "documents.demo",
                "title": title,
                "url": reverse("documents:document_detail", args=[document.pk]),
                "emailed_at": timezone.now(),
            },
        )


def _document(ctx, code, title, doc_type, unit, owner, process, confidentiality=None):
    if Document.objects.filter(owner_unit=unit, code=code).exists():
        return None
    retention = {T.FORM: 5, T.RECORD: 10, T.PLAN: 5}.get(doc_type)
    document = Document(
        code=code,
        title=title,
        doc_type=doc_type,
        owner_unit=unit,
        owner=owner,
        process=process,
        confidentiality=confidentiality or Confidentiality.INTERNAL,
        retention_years=retention,
        review_interval_months=24 if doc_type in (T.FORM, T.RECORD) else 12,
    )
    document.save()
    return document


def _revision(document, status, author, approver, reviewers, effective_date=None):
    """The document's next revision, taken through the services up to ``status`` (effective at
    most: a later revision supersedes it, a withdrawal makes it obsolete)."""
    number = document.revisions.count() + 1
    summary = SUMMARIES[min(number - 1, len(SUMMARIES) - 1)]
    data = sample_pdf(
        f"{document.code} {document.title}",
        [
            "So Giao duc va Dao tao Son La",
            f"Lan ban hanh: {number:02d}",
            f"Ngay hieu luc: {effective_date:%d/%m/%Y}" if effective_date else "Du thao",
            summary,
        ],
    )
    revision = services.revision_create(
        document,
        actor=author,
        upload=SimpleUploadedFile(f"{document.code}-rev{number}.pdf", data, "application/pdf"),
        change_summary=summary,
        reviewers=reviewers,
        approver=approver,
    )
    order = [S.DRAFT, S.IN_REVIEW, S.APPROVED, S.EFFECTIVE]
    reached = order.index(status)
    if reached >= 1:
        services.revision_submit(revision, actor=author)
    if reached >= 2:
        for reviewer in reviewers:
            services.revision_review(revision, actor=reviewer, password=DEMO_PASSWORD)
        services.revision_approve(revision, actor=approver, password=DEMO_PASSWORD)
    if reached >= 3:
        services.revision_publish(
            revision,
            actor=approver,
            password=DEMO_PASSWORD,
            effective_date=effective_date,
            allow_past=True,
        )
    return Revision.objects.get(pk=revision.pk)


def _build(ctx, document, plan, today, distribute_to):
    users = ctx.users
    rng = ctx.rng
    owner = document.owner
    approver = users["director"] if owner.username != "director" else users["deputy"]
    reviewer = users["iso"] if owner.username != "iso" else users["deputy"]
    interval = document.review_interval_months
    # When the current revision took effect: spread over the past year; "due" and "overdue"
    # put the next periodic review 12 days ahead or 20 days behind.
    if plan == "due":
        effective = add_months(today, -interval) + timedelta(days=12)
    elif plan == "overdue":
        effective = add_months(today, -interval) - timedelta(days=20)
    else:
        effective = today - timedelta(days=rng.randint(40, 300))
    count = {"eff2": 2, "eff3": 3, "eff+review": 2}.get(plan, 1)
    effective_revision = None
    if plan in ("draft", "iso-demo"):
        author = owner
        if plan == "iso-demo":
            # Written by the head of primary education; iso reviews, approves and publishes it.
            revision = _revision(document, S.DRAFT, owner, users["iso"], [users["iso"]])
            services.distribution_add(
                revision, actor=owner, units=[ctx.units[SCHOOL], ctx.units["SL-GDTH"]]
            )
        else:
            _revision(document, S.DRAFT, author, approver, [reviewer])
    elif plan == "approved":
        _revision(document, S.APPROVED, owner, approver, [reviewer])
    elif plan == "review-school":
        _revision(
            document, S.IN_REVIEW, users["teacher2"], users["principal"], [users["principal"]]
        )
    else:
        for number in range(1, count + 1):
            date = effective - timedelta(days=365 * (count - number))
            effective_revision = _revision(document, S.EFFECTIVE, owner, approver, [reviewer], date)
        if plan == "eff+review":
            second = users["iso"] if approver == users["deputy"] else users["deputy"]
            in_review = _revision(document, S.IN_REVIEW, owner, approver, [second])
            # The reviewer has signed: the approver now has it waiting.
            services.revision_review(in_review, actor=second, password=DEMO_PASSWORD)
    if plan == "eff2":
        # A new draft its author gave up: discarded with a reason, kept in the history.
        discarded = _revision(document, S.DRAFT, owner, approver, [reviewer])
        services.revision_discard(
            discarded,
            actor=owner,
            reason="Bản nháp trùng nội dung với lần ban hành hiện hành; soạn lại sau.",
        )
    if plan == "obsolete":
        services.document_withdraw(
            document,
            actor=approver,
            reason="Gộp vào QT-09 theo quyết định kiện toàn quy trình văn thư.",
        )
        return
    if effective_revision is None:
        return
    distributed_at = timezone.make_aware(datetime.combine(effective, time(8, 0)))
    for unit in distribute_to:
        Distribution.objects.create(
            revision=effective_revision, unit=unit, created_by=owner, created_at=distributed_at
        )
    for person in services.recipients(effective_revision):
        diligent = person.username in DILIGENT or person == owner
        if diligent or rng.random() < 0.7:
            if (person.username, document.code) in PENDING:
                continue  # still to read on first login
            Acknowledgement.objects.create(
                revision=effective_revision,
                user=person,
                acknowledged_at=distributed_at + timedelta(days=rng.randint(1, 20)),
            )
