"""The ``register`` PDF: the register with the page's filters, validated, in Vietnamese."""

import subprocess

import pytest
from django.core.management import call_command
from django.urls import reverse

from documents.report_kinds import RegisterReport, clean_params
from ims.models import ReportJob
from ims.reports import render_report
from tests.documents.factories import effective_document

pytestmark = pytest.mark.django_db


def pdf_text(data, tmp_path):
    path = tmp_path / "r.pdf"
    path.write_bytes(data)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return " ".join(text.split())  # table cells wrap: compare with whitespace folded


@pytest.fixture
def docs(world):
    effective_document(world, code="QT-01", title="Quy trình kiểm soát tài liệu")
    effective_document(
        world, code="HD-01", title="Hướng dẫn mã hóa tài liệu", doc_type="instruction"
    )


def test_register_button_renders_filtered_pdf_in_vietnamese(
    world, client_for, docs, tmp_path, django_capture_on_commit_callbacks
):
    client = client_for(world.iso)
    page = client.get(reverse("documents:register") + "?q=quy+trinh&type=procedure")
    body = page.content.decode()
    assert 'name="f_q" value="quy trinh"' in body and 'name="f_type" value="procedure"' in body
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("ims:report_request"),
            {"kind": "register", "object_id": "0", "f_q": "quy trinh", "f_type": "procedure"},
        )
    job = ReportJob.objects.get()
    assert response.status_code == 302 and job.status == ReportJob.Status.DONE, job.error
    data = b"".join(client.get(reverse("ims:report_download", args=[job.pk])).streaming_content)
    text = pdf_text(data, tmp_path)
    assert "Quy trình kiểm soát tài liệu" in text
    assert "Hướng dẫn mã hóa tài liệu" not in text
    assert "quy trinh" in text  # the filters applied are printed
    assert "Sổ đăng ký tài liệu" in text and "Điều kiện lọc" in text
    assert "Trang 1 / 1" in text
    assert world.iso.display_name in text


def test_pdf_only_lists_documents_the_requester_may_see(world, docs, tmp_path):
    kind = RegisterReport()
    obj = kind.get_object(world.principal2, "0")
    text = pdf_text(render_report(kind, obj, {}, user=world.principal2), tmp_path)
    assert "QT-01" not in text


def test_invalid_params_are_ignored_and_listed(world):
    form, cleaned, ignored = clean_params(
        {"f_type": "virus", "f_unit": "999999", "f_q": "quy", "evil": "x", "f_status": "effective"},
        world.iso,
    )
    assert cleaned["q"] == "quy" and cleaned["status"] == "effective"
    assert "type" not in cleaned and not cleaned.get("unit")
    assert set(ignored) == {"evil", "type", "unit"}


def test_other_object_ids_are_404(world, client_for):
    response = client_for(world.iso).post(
        reverse("ims:report_request"), {"kind": "register", "object_id": "5"}
    )
    assert response.status_code == 404
    assert not ReportJob.objects.exists()


def test_report_command(world, docs, tmp_path):
    out = tmp_path / "register.pdf"
    call_command("report", "register", "0", "-o", str(out), "--param", "type=instruction")
    text = pdf_text(out.read_bytes(), tmp_path)
    assert "Hướng dẫn mã hóa tài liệu" in text and "Quy trình kiểm soát tài liệu" not in text
