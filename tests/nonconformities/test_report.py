"""The NC PDF report renders in Vietnamese with containment, root cause, actions, verification."""

import subprocess

import pytest
from django.urls import reverse

from ims.models import ReportJob
from ims.reports import render_report, report_kind

pytestmark = pytest.mark.django_db


def pdf_text(data, tmp_path):
    path = tmp_path / "nc.pdf"
    path.write_bytes(data)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return " ".join(text.split())  # table cells wrap lines


def test_nc_report_contains_the_whole_loop_in_vietnamese(loop, world, tmp_path):
    nc = loop.closed()
    kind = report_kind("nonconformity")
    text = pdf_text(render_report(kind, nc, {}, user=world.iso, language="vi"), tmp_path)
    assert nc.number in text
    assert "Đã bổ sung biên bản còn thiếu." in text  # containment
    assert "Quy trình chưa phân công người lưu biên bản." in text  # root cause
    assert "Sửa quy trình, giao thư ký lưu biên bản." in text  # action
    assert "Kiểm tra 3 tháng: không lặp lại." in text  # verification
    assert "Nguyên nhân gốc" in text  # the Vietnamese labels
    assert world.principal.display_name in text  # the closing signature
    assert "Trang 1 /" in text


def test_report_button_on_detail_and_outsider_cannot_request(
    loop, world, client_for, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    nc = loop.raised()
    page = client_for(world.teacher).get(reverse("nonconformities:detail", args=[nc.pk]))
    assert b'value="nonconformity"' in page.content
    response = client_for(world.principal2).post(
        reverse("ims:report_request"), {"kind": "nonconformity", "object_id": nc.pk}
    )
    assert response.status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        client_for(world.teacher).post(
            reverse("ims:report_request"), {"kind": "nonconformity", "object_id": nc.pk}
        )
    job = ReportJob.objects.get()
    assert job.status == ReportJob.Status.DONE and job.filename == f"{nc.number}.pdf"
