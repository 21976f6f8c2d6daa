"""Import of units and users: dry run reports per row, a bad row imports nothing."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

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
