"""Import of units and users: dry run reports per row, a bad row imports nothing."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from ims.imports import import_units, import_users
from ims.models import Membership, OrgUnit, User

GOOD_UNITS = (
    "code,name,kind,parent_code,levels\n"
    "XA3,Xã Mường Bú,commune,SO,\n"
    "XA3-TH,Trường Tiểu học Mường Bú,school,XA3,primary\n"
    "XA3-MN,Trường Mầm non Mường Bú,school,XA3,preschool\n"
).encode()

BAD_UNITS = (
    "code,name,kind,parent_code,levels\n"
    "XA4,Xã Chiềng Mung,commune,SO,\n"
    ",Không có mã,school,XA4,primary\n"
    "XA4-TH,Trường Tiểu học,castle,XA4,primary\n"
    "XA4-MN,Trường Mầm non,school,NOPE,preschool\n"
    "XA4-X,Trường X,commune,XA4,primary\n"
).encode()


def test_dry_run_reports_nothing_saved(world):
    result = import_units(GOOD_UNITS, user=world.director, dry_run=True)
    assert result.ok and not result.applied
    assert [r.action for r in result.rows] == ["create", "create", "create"]
    assert not OrgUnit.objects.filter(code__startswith="XA3").exists()


def test_real_import_creates_tree(world):
    result = import_units(GOOD_UNITS, user=world.director, dry_run=False)
    assert result.applied
    school = OrgUnit.objects.get(code="XA3-TH")
    assert school.parent.code == "XA3" and school.path.startswith(world.root.path)
    assert [lv.code for lv in school.levels.all()] == ["primary"]
    again = import_units(GOOD_UNITS, user=world.director, dry_run=False)
    assert [r.action for r in again.rows] == ["update", "update", "update"]
    assert OrgUnit.objects.filter(code__startswith="XA3").count() == 3


def test_file_with_bad_rows_reports_each_row_and_imports_nothing(world):
    result = import_units(BAD_UNITS, user=world.director, dry_run=False)
    assert not result.ok and not result.applied
    errors = {row.line: row.errors for row in result.error_rows}
    assert set(errors) == {3, 4, 5, 6}
    assert "Mã đang để trống." in errors[3]
    assert any("castle" in e for e in errors[4])
    assert any("NOPE" in e for e in errors[5])
    assert "Chỉ trường học mới có cấp học." in errors[6]
    assert not OrgUnit.objects.filter(code__startswith="XA4").exists()


@pytest.mark.parametrize(
    "data", [b"", b"\x00\x01\x02binary", b"PK\x03\x04not really a zip", b"code,name\n"]
)
def test_malformed_files_are_refused_with_a_message(world, data):
    result = import_units(data, user=world.director, dry_run=False)
    assert result.file_errors and not result.applied


def test_missing_columns_are_named(world):
    result = import_units(b"code;title\nA;B\n", user=world.director)
    assert "kind" in result.file_errors[0] and "name" in result.file_errors[0]


def test_principal_cannot_import_outside_their_school(world):
    data = b"code,name,kind,parent_code\nEVIL,Evil,school,TH1\n"
    result = import_units(data, user=world.principal, dry_run=False)
    assert not result.ok
    assert not OrgUnit.objects.filter(code="EVIL").exists()


def test_xlsx_users_import(world):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["username", "full_name", "email", "unit_code", "role"])
    sheet.append(["gv.lan", "Lò Thị Lan", "lan@example.vn", "TH1", "staff"])
    sheet.append(["gv.lan", "Lò Thị Lan", "lan@example.vn", "GDTH", "auditor"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = import_users(buffer.getvalue(), user=world.iso, dry_run=False)
    assert result.applied, [r.errors for r in result.rows]
    person = User.objects.get(username="gv.lan")
    assert not person.has_usable_password()
    assert Membership.objects.filter(user=person).count() == 2


def test_users_with_bad_rows_import_nothing(world):
    data = (
        "username,full_name,email,unit_code,role\n"
        "ok.user,Người Tốt,ok@example.vn,TH1,staff\n"
        "bad user,Người Xấu,not-an-email,TH1,wizard\n"
    ).encode()
    result = import_users(data, user=world.iso, dry_run=False)
    assert [r.line for r in result.error_rows] == [3]
    assert len(result.error_rows[0].errors) == 3
    assert not User.objects.filter(username="ok.user").exists()


def test_import_page_shows_row_errors(world, client_for):
    client = client_for(world.director)
    upload = SimpleUploadedFile("units.csv", BAD_UNITS, content_type="text/csv")
    response = client.post(reverse("ims:import"), {"kind": "units", "file": upload})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Chưa nhập dữ liệu nào" in body and "castle" in body
    assert not OrgUnit.objects.filter(code="XA4").exists()


def test_import_page_is_for_managers_only(world, client_for):
    assert client_for(world.teacher).get(reverse("ims:import")).status_code == 403
    assert client_for(world.principal2).get(reverse("ims:import")).status_code == 403
    assert client_for(world.iso).get(reverse("ims:import")).status_code == 200


@pytest.fixture
def commune_manager(world):
    """A quality manager of commune XA1 only: manages TH1, not the root and not XA2."""
    from ims.models import Role
    from tests.factories import MembershipFactory, UserFactory

    person = UserFactory(username="xa1.iso")
    MembershipFactory(user=person, unit=world.commune, role=Role.QUALITY_MANAGER)
    return person


def test_manager_cannot_pull_a_unit_out_of_a_parent_they_do_not_manage(world, commune_manager):
    from ims.models import Role
    from tests.factories import MembershipFactory

    MembershipFactory(user=commune_manager, unit=world.school2, role=Role.QUALITY_MANAGER)
    data = b"code,name,kind,parent_code\nTH2,Truong Chieng Sinh,school,XA1\n"
    result = import_units(data, user=commune_manager, dry_run=False)
    assert not result.ok
    assert "XA2" not in str(result.rows[0].errors)
    world.school2.refresh_from_db()
    assert world.school2.parent == world.commune2
    assert world.school2.name == "Trường Tiểu học Chiềng Sinh"


def test_manager_may_rename_a_unit_they_manage_in_place(world, commune_manager):
    data = "code,name,kind,parent_code\nTH1,Trường Tiểu học Tô Hiệu (mới),school,XA1\n".encode()
    result = import_units(data, user=commune_manager, dry_run=False)
    assert result.applied, [r.errors for r in result.rows]
    world.school.refresh_from_db()
    assert world.school.name == "Trường Tiểu học Tô Hiệu (mới)"


def test_manager_cannot_change_a_unit_above_them(world, commune_manager):
    data = b"code,name,kind,parent_code\nSO,Renamed,department,\n"
    result = import_units(data, user=commune_manager, dry_run=False)
    assert not result.ok
    world.root.refresh_from_db()
    assert world.root.name == "Sở Giáo dục và Đào tạo"


def test_import_cannot_touch_an_account_in_a_unit_the_importer_does_not_manage(
    world, commune_manager
):
    data = (
        b"username,full_name,email,unit_code,role\nprincipal2,Hacked,evil@example.com,TH1,staff\n"
    )
    result = import_users(data, user=commune_manager, dry_run=False)
    assert not result.ok and "principal2" in result.rows[0].errors[0]
    world.principal2.refresh_from_db()
    assert world.principal2.email != "evil@example.com"
    assert not Membership.objects.filter(user=world.principal2, unit=world.school).exists()


def test_import_never_changes_an_existing_accounts_email(world):
    before = world.teacher.email
    data = b"username,full_name,email,unit_code,role\nteacher,Lo Van Teacher,new@example.com,TH1,staff\n"
    result = import_users(data, user=world.director, dry_run=False)
    assert result.applied, [r.errors for r in result.rows]
    world.teacher.refresh_from_db()
    assert world.teacher.email == before
    assert world.teacher.full_name == "Lo Van Teacher"


def test_zip_bomb_workbook_is_refused_before_it_is_parsed(world, monkeypatch):
    import zipfile

    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["code", "name", "kind"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    bomb = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source,
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        for item in source.infolist():
            archive.writestr(item, source.read(item.filename))
        archive.writestr("xl/media/padding.xml", b" " * (40 * 1024 * 1024))
    parsed = []
    monkeypatch.setattr("openpyxl.load_workbook", lambda *a, **k: parsed.append(1))
    result = import_units(bomb.getvalue(), user=world.director, dry_run=False)
    assert result.file_errors and not parsed


def test_damaged_workbook_gives_a_message_not_a_crash(world):
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<not xml")
        archive.writestr("xl/workbook.xml", "<broken")
    result = import_units(buffer.getvalue(), user=world.director, dry_run=False)
    assert len(result.file_errors) == 1 and "XLSX" in result.file_errors[0]
    assert not result.applied


def test_seeing_a_unit_is_not_enough_to_rename_it(world):
    from ims.models import Role
    from tests.factories import MembershipFactory

    MembershipFactory(user=world.principal, unit=world.school2, role=Role.QUALITY_MANAGER)
    data = b"code,name,kind,parent_code\nTH1,Renamed,school,XA1\n"
    result = import_units(data, user=world.principal, dry_run=False)
    assert "TH1" in result.rows[0].errors[0]
    world.school.refresh_from_db()
    assert world.school.name == "Trường Tiểu học Tô Hiệu"


def _bomb(member, size=40 * 1024 * 1024):
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(member, b"<" + b" " * size)
    return buffer.getvalue()


def test_zip_with_an_absurd_compression_ratio_is_unreasonable():
    import zipfile

    from ims.files import zip_is_reasonable

    with zipfile.ZipFile(io.BytesIO(_bomb("word/document.xml"))) as archive:
        assert not zip_is_reasonable(archive)
    with zipfile.ZipFile(io.BytesIO(_bomb("word/document.xml", size=2000))) as archive:
        assert zip_is_reasonable(archive)


def test_a_zip_bomb_is_not_accepted_as_a_word_document():
    from django.core.exceptions import ValidationError

    from ims.files import check_upload

    upload = SimpleUploadedFile("quy-trinh.docx", _bomb("word/document.xml"))
    with pytest.raises(ValidationError) as error:
        check_upload(upload)
    assert error.value.code == "bad_type"


def test_a_workbook_with_a_formatted_empty_cell_far_down_still_imports(world):
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["code", "name", "kind", "parent_code"])
    sheet.append(["XA9", "Xã Mường Sại", "commune", "SO"])
    sheet["A25000"].font = Font(bold=True)
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = import_units(buffer.getvalue(), user=world.director, dry_run=False)
    assert result.applied, result.file_errors


@pytest.mark.parametrize(
    ("column", "value", "field"),
    [
        ("full_name", "Nguyễn " * 30, "Full name"),
        ("email", "a" * 240 + "@example.edu.vn", "Email address"),
        ("job_title", "Giáo viên " * 20, "Job title"),
    ],
)
@pytest.mark.parametrize("dry_run", [True, False])
def test_over_long_user_values_are_reported_on_their_row(world, column, value, field, dry_run):
    header = "username,full_name,email,unit_code,role,job_title"
    values = {"full_name": "Lò Văn A", "email": "", "job_title": "Giáo viên", column: value}
    line = f"lo.van.a,{values['full_name']},{values['email']},{world.school.code},staff,{values['job_title']}"
    with translation.override("en"):
        result = import_users(f"{header}\n{line}\n".encode(), user=world.director, dry_run=dry_run)
    assert not result.ok and not result.applied
    [row] = result.error_rows
    assert row.line == 2 and any(e.startswith(f"{field} is longer than") for e in row.errors)
    assert not User.objects.filter(username="lo.van.a").exists()


def test_over_long_unit_address_is_reported_on_its_row(world):
    data = f"code,name,kind,parent_code,address\nXA9,Xã Chín,commune,SO,{'Bản ' * 80}\n".encode()
    with translation.override("en"):
        result = import_units(data, user=world.director, dry_run=True)
    [row] = result.error_rows
    assert row.line == 2 and any(e.startswith("Address is longer than") for e in row.errors)


def test_over_long_values_in_the_import_page_are_no_500(world, client_for):
    data = f"username,full_name,unit_code,role\nlo.van.b,{'x' * 400},{world.school.code},staff\n"
    upload = SimpleUploadedFile("people.csv", data.encode(), "text/csv")
    response = client_for(world.director).post(
        reverse("ims:import"), {"kind": "users", "file": upload}
    )
    assert response.status_code == 200
    assert not User.objects.filter(username="lo.van.b").exists()
