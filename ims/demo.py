"""The demo province for ``seed_demo``: Sở GD&ĐT Sơn La, its divisions, communes and schools.

Idempotent: every row is found by its code or username before it is created. Domain apps add
their demo data in their own ``demo`` module (``seed(context)``), found by ``seed_demo``.
"""

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from io import TextIOBase

from ims.models import Membership, OrgUnit, Role, SchoolLevel, UnitKind, User

DEMO_PASSWORD = "demo"  # noqa: S105 — demo accounts only; seed_demo refuses to run in production

ROOT = ("SGDDT-SL", "Sở Giáo dục và Đào tạo Sơn La", "Son La Department of Education and Training")

DIVISIONS = [
    ("SL-VP", "Văn phòng Sở", "Office of the Department"),
    ("SL-TCCB", "Phòng Tổ chức cán bộ", "Personnel Division"),
    ("SL-KHTC", "Phòng Kế hoạch - Tài chính", "Planning and Finance Division"),
    ("SL-GDMN", "Phòng Giáo dục Mầm non", "Preschool Education Division"),
    ("SL-GDTH", "Phòng Giáo dục Tiểu học", "Primary Education Division"),
    ("SL-GDTrH", "Phòng Giáo dục Trung học", "Secondary Education Division"),
    ("SL-QLCL", "Phòng Quản lý chất lượng", "Quality Management Division"),
    ("SL-TTra", "Thanh tra Sở", "Department Inspectorate"),
]

COMMUNES = [
    ("SL-TH", "Phường Tô Hiệu"),
    ("SL-CS", "Phường Chiềng Sinh"),
    ("SL-CA", "Phường Chiềng An"),
    ("SL-MC", "Phường Mộc Châu"),
    ("SL-TC", "Xã Thuận Châu"),
    ("SL-ML", "Xã Mường La"),
    ("SL-MS", "Xã Mai Sơn"),
    ("SL-SM", "Xã Sông Mã"),
    ("SL-PY", "Xã Phù Yên"),
    ("SL-BY", "Xã Bắc Yên"),
]

# Per commune: (code suffix, name prefix, levels). The commune's own name completes each school.
COMMUNE_SCHOOLS = [
    ("MN", "Trường Mầm non", ["preschool"]),
    ("TH", "Trường Tiểu học", ["primary"]),
    ("THCS", "Trường THCS", ["lower_secondary"]),
]
EXTRA_SCHOOLS = {
    "SL-TC": [("PTDTBT", "Trường PTDTBT TH&THCS Co Mạ", ["primary", "lower_secondary"])],
    "SL-SM": [("PTDTBT", "Trường PTDTBT TH&THCS Mường Lầm", ["primary", "lower_secondary"])],
}
PROVINCE_SCHOOLS = [
    ("THPT-CHUYEN", "Trường THPT Chuyên Sơn La", ["upper_secondary"]),
    ("THPT-TOHIEU", "Trường THPT Tô Hiệu", ["upper_secondary"]),
    ("THPT-CHIENGSINH", "Trường THPT Chiềng Sinh", ["upper_secondary"]),
    ("THPT-MOCLY", "Trường THPT Mộc Lỵ", ["upper_secondary"]),
    ("THPT-THUANCHAU", "Trường THPT Thuận Châu", ["upper_secondary"]),
    ("PTDTNT-TINH", "Trường PTDT Nội trú tỉnh Sơn La", ["lower_secondary", "upper_secondary"]),
    ("GDTX-TINH", "Trung tâm GDTX tỉnh Sơn La", ["continuing"]),
    ("THPT-MUONGLA", "Trường THPT Mường La", ["upper_secondary"]),
]

PRINCIPAL_SCHOOL = "SL-TH-TH"  # Trường Tiểu học Phường Tô Hiệu
PRINCIPAL2_SCHOOL = "SL-CS-TH"  # Trường Tiểu học Phường Chiềng Sinh

ACCOUNTS = [
    # username, full name, [(unit code, role, title)]
    ("director", "Lò Văn Minh", [(ROOT[0], Role.DIRECTOR, "Giám đốc Sở")]),
    (
        "iso",
        "Nguyễn Thị Hạnh",
        [(ROOT[0], Role.QUALITY_MANAGER, "Thư ký ISO"), ("SL-QLCL", Role.STAFF, "Chuyên viên")],
    ),
    (
        "auditor",
        "Cầm Thị Lan",
        [
            ("SL-GDTrH", Role.STAFF, "Chuyên viên"),
            (ROOT[0], Role.AUDITOR, "Chuyên gia đánh giá nội bộ"),
        ],
    ),
    (
        "leadauditor",
        "Hoàng Văn Dũng",
        [
            ("SL-TTra", Role.STAFF, "Thanh tra viên"),
            (ROOT[0], Role.LEAD_AUDITOR, "Trưởng đoàn đánh giá"),
        ],
    ),
    ("head", "Quàng Văn Thắng", [("SL-GDTH", Role.UNIT_HEAD, "Trưởng phòng")]),
    ("principal", "Lường Thị Mai", [(PRINCIPAL_SCHOOL, Role.PRINCIPAL, "Hiệu trưởng")]),
    ("teacher", "Vì Văn Tùng", [(PRINCIPAL_SCHOOL, Role.STAFF, "Giáo viên")]),
    ("principal2", "Đinh Thị Thu", [(PRINCIPAL2_SCHOOL, Role.PRINCIPAL, "Hiệu trưởng")]),
    # Further people, so registers and distribution lists look like a real department.
    ("deputy", "Tòng Văn Hải", [(ROOT[0], Role.DIRECTOR, "Phó Giám đốc")]),
    ("gdmn.head", "Lê Thị Hoa", [("SL-GDMN", Role.UNIT_HEAD, "Trưởng phòng")]),
    ("gdtrh.head", "Phạm Văn Nam", [("SL-GDTrH", Role.UNIT_HEAD, "Trưởng phòng")]),
    ("vp.staff", "Bạc Thị Nhung", [("SL-VP", Role.STAFF, "Văn thư")]),
    ("teacher2", "Lò Thị Xuân", [(PRINCIPAL_SCHOOL, Role.STAFF, "Giáo viên")]),
    ("teacher3", "Hà Văn Quân", [(PRINCIPAL2_SCHOOL, Role.STAFF, "Giáo viên")]),
]


@dataclass
class DemoContext:
    stdout: TextIOBase
    rng: random.Random = field(default_factory=lambda: random.Random(2026))
    units: dict[str, OrgUnit] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)

    def log(self, message: str) -> None:
        self.stdout.write(message)

    def schools(self) -> list[OrgUnit]:
        return [u for u in self.units.values() if u.kind.is_school]


def _unit(
    ctx: DemoContext,
    code: str,
    name: str,
    kind: UnitKind,
    parent: OrgUnit | None,
    name_en: str = "",
    levels: Iterable[str] = (),
) -> OrgUnit:
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None:
        unit = OrgUnit(code=code, name=name, name_en=name_en, kind=kind, parent=parent)
        unit.save()
        if levels:
            unit.levels.set(SchoolLevel.objects.filter(code__in=levels))
    ctx.units[code] = unit
    return unit


def seed(ctx: DemoContext) -> None:
    kinds = {k.code: k for k in UnitKind.objects.all()}
    root = _unit(ctx, ROOT[0], ROOT[1], kinds["department"], None, ROOT[2])
    for code, name, name_en in DIVISIONS:
        _unit(ctx, code, name, kinds["division"], root, name_en)
    for code, province_name, levels in PROVINCE_SCHOOLS:
        _unit(ctx, f"SL-{code}", province_name, kinds["school"], root, levels=levels)
    for code, name in COMMUNES:
        commune = _unit(ctx, code, name, kinds["commune"], root)
        place = name.split(" ", 1)[1]
        for suffix, prefix, levels in COMMUNE_SCHOOLS:
            _unit(
                ctx,
                f"{code}-{suffix}",
                f"{prefix} {place}",
                kinds["school"],
                commune,
                levels=levels,
            )
        for suffix, school_name, levels in EXTRA_SCHOOLS.get(code, []):
            _unit(ctx, f"{code}-{suffix}", school_name, kinds["school"], commune, levels=levels)
    for username, full_name, memberships in ACCOUNTS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username, full_name=full_name, email=f"{username}@demo.sonla.edu.vn"
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
        for unit_code, role, title in memberships:
            Membership.objects.get_or_create(
                user=user, unit=ctx.units[unit_code], role=role, defaults={"title": title}
            )
        ctx.users[username] = user
    ctx.log(f"  organisation: {len(ctx.units)} units, {len(ctx.users)} demo accounts")
