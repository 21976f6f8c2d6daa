"""The comparison table sorts and exports to XLSX; the dashboard prints to PDF in Vietnamese."""

import io
import subprocess

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from ims.models import ReportJob
from ims.reports import render_report, report_kind
from ims.schoolyear import SchoolYear
from tests.dashboard import factories as f

pytestmark = pytest.mark.django_db

URL = reverse("dashboard:index")


@pytest.fixture
def data(world):
    for _ in range(3):
        f.nc(world.school2, world.iso, severity="major")
    f.nc(world.school, world.iso, overdue_actions=1)
    f.nc(world.division, world.iso)
    f.nc(world.division, world.iso)


def codes(response):
    return [row.unit.code for row in response.context["board"].units]


def test_comparison_table_sorts_by_any_column(world, data, client_for):
    client = client_for(world.director)
    assert codes(client.get(URL))[:2] == ["XA2", "GDTH"]  # most open NCs first
    assert codes(client.get(URL, {"sort": "nc_open"}))[0] in ("QLCL",)
    assert codes(client.get(URL, {"sort": "-nc_overdue"}))[0] == "XA1"
    names = codes(client.get(URL, {"sort": "name"}))
    assert names == ["GDTH", "QLCL", "XA2", "XA1"]  # Phòng…, then Phường Chiềng Sinh, Tô Hiệu
    assert codes(client.get(URL, {"sort": "-name"})) == names[::-1]
    # An unknown column falls back to the default order instead of failing.
    assert client.get(URL, {"sort": "password"}).status_code == 200


def test_comparison_table_exports_to_xlsx_with_the_same_rows(world, data, client_for):
    response = client_for(world.director).get(URL, {"format": "xlsx", "sort": "-nc_open"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="bang-dieu-khien-so-' in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2 + 4  # a title row, the header, four units
    by_code = {row[1]: row for row in rows[2:]}
    assert by_code["XA2"][2] == 3 and by_code["XA2"][3] == 3  # open, major
    assert by_code["XA1"][4] == 1  # NCs with overdue actions
    assert rows[2][1] == "XA2"


def test_xlsx_has_a_title_row_widths_a_frozen_header_and_an_autofilter(world, data, client_for):
    response = client_for(world.director).get(URL, {"format": "xlsx"})
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    title = sheet["A1"].value
    year = SchoolYear.current()
    assert world.root.name in title and year.label in title
    assert timezone.localdate().strftime("%d/%m/%Y") in title
    assert sheet["A2"].value and sheet["B2"].value  # the header row
    assert sheet.freeze_panes == "B3"
    assert sheet.auto_filter.ref == "A2:L6"
    assert sheet.column_dimensions["A"].width >= 30 and sheet.column_dimensions["C"].width >= 10


@pytest.mark.parametrize("sort", ["name", "-name", "-nc_overdue", "nc_open"])
def test_xlsx_and_pdf_list_the_units_in_the_screen_order(world, data, client_for, sort, tmp_path):
    client = client_for(world.director)
    screen = codes(client.get(URL, {"sort": sort}))
    page = client.get(URL, {"sort": sort}).content.decode()
    assert f'name="f_sort" value="{sort}"' in page  # the PDF button asks for this order
    sheet = load_workbook(io.BytesIO(client.get(URL, {"sort": sort, "format": "xlsx"}).content))
    rows = list(sheet.worksheets[0].iter_rows(min_row=3, values_only=True))
    assert [row[1] for row in rows] == screen
    kind = report_kind("dashboard")
    unit = kind.get_object(world.director, world.root.pk)
    pdf = render_report(kind, unit, {"f_sort": sort}, user=world.director, language="en")
    text = pdf_text(pdf, tmp_path)
    table = text.split("Units below")[1]
    names = {u.code: u.name for u in (world.division, world.quality, world.commune, world.commune2)}
    positions = [table.index(names[code]) for code in screen]
    assert positions == sorted(positions)


def test_xlsx_and_pdf_have_every_section_of_the_screen(world, data, client_for, tmp_path):
    year = SchoolYear.current()
    version, questions = f.instrument(world.root, world.iso)
    campaign = f.campaign(version, world.root, opens_on=year.first_day)
    f.answers(campaign, world.school, questions, n=6, value=4)
    client = client_for(world.director)
    response = client.get(URL, {"format": "xlsx"})
    summary = load_workbook(io.BytesIO(response.content)).worksheets[1]
    cells = [str(c) for row in summary.iter_rows(values_only=True) for c in row if c is not None]
    with translation.override(response["Content-Language"]):
        headings = [
            gettext(h)
            for h in (
                "Nonconformities",
                "Open nonconformities by age",
                "Documents",
                "Satisfaction",
                "Units with the most open or overdue items",
                "Nonconformities per school year",
                "Satisfaction index per school year",
            )
        ] + [gettext("Audit programme %(year)s") % {"year": year.label}]
    for heading in headings:
        assert heading in cells, heading
    assert world.school2.name in cells  # the attention list
    assert 75.0 in [c for row in summary.iter_rows(values_only=True) for c in row]
    kind = report_kind("dashboard")
    unit = kind.get_object(world.director, world.root.pk)
    text = pdf_text(render_report(kind, unit, {}, user=world.director, language="en"), tmp_path)
    assert "Units with the most open or overdue items" in text
    assert world.school2.name in text.split("Units with the most open or overdue items")[1]


def test_principal2_export_never_contains_principals_school(world, data, client_for):
    response = client_for(world.principal2).get(URL, {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    text = " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row)
    assert world.school.code not in text and world.school.name not in text


def pdf_text(data, tmp_path):
    path = tmp_path / "dashboard.pdf"
    path.write_bytes(data)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return " ".join(text.split())


def test_dashboard_prints_to_pdf_in_vietnamese(world, data, tmp_path):
    kind = report_kind("dashboard")
    unit = kind.get_object(world.director, world.root.pk)
    year = SchoolYear.current()
    pdf = render_report(kind, unit, {"f_year": year.slug}, user=world.director, language="vi")
    text = pdf_text(pdf, tmp_path)
    assert world.root.name in text
    assert "Sự không phù hợp" in text and "Bảng điều khiển" in text
    assert year.label in text and "Trang 1 /" in text
    assert "Phường Chiềng Sinh" in text  # the comparison table


def test_report_request_from_the_page_and_outsider_404(
    world, data, client_for, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    page = client_for(world.principal).get(URL)
    assert b'value="dashboard"' in page.content
    outsider = client_for(world.principal2).post(
        reverse("ims:report_request"), {"kind": "dashboard", "object_id": world.school.pk}
    )
    assert outsider.status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        client_for(world.principal).post(
            reverse("ims:report_request"),
            {"kind": "dashboard", "object_id": world.school.pk, "f_year": "2025-2026"},
        )
    job = ReportJob.objects.get()
    assert job.status == ReportJob.Status.DONE, job.error
    assert job.filename == "bang-dieu-khien-th1-2025-2026.pdf"
    text = pdf_text(job.file.read(), tmp_path)
    assert world.school.name in text and world.school2.name not in text
