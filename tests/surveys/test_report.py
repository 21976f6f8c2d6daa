"""The ``survey`` PDF report: campaign results with SVG charts and suppression, in Vietnamese."""

import re
import subprocess

import pytest
from django.core.management import call_command
from django.http import Http404

from ims.models import ReportJob
from ims.reports import render_report, report_kind, report_request, report_run
from surveys.services import campaign_close
from tests.factories import UnitFactory
from tests.surveys.factories import make_campaign, submit

pytestmark = pytest.mark.django_db


def pdf_text(data, tmp_path):
    path = tmp_path / "r.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def campaign(world):
    school3 = UnitFactory(code="TH3", name="Trường Tiểu học Bản Mòng", parent=world.commune)
    c = make_campaign(world, units=[world.root])
    submit(c, world.school, n=8, likert=4)
    submit(c, school3, n=2, likert=1)
    submit(c, world.school2, n=6, likert=3)
    return c


def test_survey_report_renders_vietnamese_with_suppression(world, campaign, tmp_path):
    campaign_close(actor=world.iso, campaign=campaign)  # exact below the Department
    kind = report_kind("survey")
    obj = kind.get_object(world.iso, campaign.pk)
    text = pdf_text(render_report(kind, obj, {}, user=world.iso, language="vi"), tmp_path)
    assert "Kết quả khảo sát sự hài lòng" in text
    assert "Trường Tiểu học Tô Hiệu" in text and "n = 16" in text  # schools, not communes
    assert "Phường Tô Hiệu" not in text
    scoped = kind.get_object(world.iso, campaign.pk)
    text = pdf_text(
        render_report(kind, scoped, {"f_unit": str(world.commune.pk)}, user=world.iso),
        tmp_path,
    )
    assert "Trường Tiểu học Bản Mòng" in text
    assert "ẩn" in text  # the small school and its complement are hidden
    assert "n = 10" in text


def test_report_job_through_the_core(world, campaign, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        job = report_request(world.principal, "survey", campaign.pk, {"f_unit": world.school.pk})
    job = report_run(job.pk)
    assert job.status == ReportJob.Status.DONE


def test_outsider_cannot_request_the_report(world):
    own = make_campaign(world, units=[world.commune], title="Riêng phường Tô Hiệu")
    with pytest.raises(Http404):
        report_request(world.principal2, "survey", own.pk)


def test_staff_cannot_widen_scope_through_params(world, campaign):
    kind = report_kind("survey")
    obj = kind.get_object(world.principal, campaign.pk)
    with pytest.raises(Http404):
        kind.get_context(obj, {"f_unit": str(world.root.pk)})


def test_report_command(world, campaign, tmp_path):
    out = tmp_path / "s.pdf"
    call_command("report", "survey", str(campaign.pk), "-o", str(out))
    assert out.read_bytes().startswith(b"%PDF")


def test_charts_have_distinct_ids(client_for, world, campaign):
    html = client_for(world.iso).get(f"/surveys/{campaign.pk}/results/").content.decode()
    ids = re.findall(r'<title id="([^"]+)"', html)
    assert len(ids) >= 2 and len(ids) == len(set(ids))
