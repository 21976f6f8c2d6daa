"""The external-origin fields (issuer, number, issue date, legal status, replaced by) apply only
to an external document: hidden by JavaScript otherwise, and ignored on the server."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from documents.forms import EXTERNAL_FIELDS, DocumentForm
from documents.models import Document
from documents.sample_pdf import sample_pdf

pytestmark = pytest.mark.django_db


def _post(client, world, **extra):
    data = {
        "code": "QT-98",
        "title": "Quy trình thử",
        "doc_type": "procedure",
        "owner_unit": world.quality.pk,
        "owner": world.iso.pk,
        "confidentiality": "internal",
        "review_interval_months": 12,
        "change_summary": "Ban hành lần đầu.",
        "reviewers": [world.head.pk],
        "approver": world.director.pk,
        "file": SimpleUploadedFile("a.pdf", sample_pdf("x")),
        **extra,
    }
    return client.post("/documents/new/", data)


EXTERNAL_VALUES = {
    "issuer": "Bộ GD&ĐT",
    "external_number": "32/2020/TT-BGDĐT",
    "issued_on": "2020-09-15",
    "external_status": "in_force",
}


def test_external_values_typed_for_a_procedure_are_dropped_not_refused(world, client_for):
    response = _post(client_for(world.iso), world, **EXTERNAL_VALUES)
    assert response.status_code == 302
    document = Document.objects.get()
    assert (document.issuer, document.external_number, document.issued_on) == ("", "", None)
    assert document.external_status == ""


def test_a_bad_external_date_on_a_procedure_is_ignored(world, client_for):
    response = _post(client_for(world.iso), world, issued_on="not a date")
    assert response.status_code == 302


def test_an_external_document_still_needs_them(world, client_for):
    response = _post(client_for(world.iso), world, doc_type="external")
    assert response.status_code == 200
    assert not Document.objects.exists()
    assert 'href="#id_issuer"' in response.content.decode()
    response = _post(client_for(world.iso), world, doc_type="external", **EXTERNAL_VALUES)
    assert response.status_code == 302
    assert Document.objects.get().issuer == "Bộ GD&ĐT"


def test_the_fields_say_when_they_apply(world):
    form = DocumentForm(user=world.iso)
    for name in EXTERNAL_FIELDS:
        html = str(form[name])
        assert 'data-show-if-name="doc_type"' in html and 'data-show-if-value="external"' in html
        assert form[name].help_text  # without JavaScript, the hint says they may be left


def test_one_error_summary_lists_both_parts_of_the_new_document_page(world, client_for):
    response = _post(client_for(world.iso), world, title="", change_summary=" ")
    page = response.content.decode()
    assert page.count('data-testid="error-summary"') == 1
    summary = page[page.index('data-testid="error-summary"') : page.index('name="code"')]
    assert 'href="#id_title"' in summary and 'href="#id_change_summary"' in summary
