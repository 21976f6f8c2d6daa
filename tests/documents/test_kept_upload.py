"""A file chosen before a validation error is kept: the person submits again without it."""

import hashlib
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from documents.forms import RevisionForm
from documents.models import Document, Revision
from documents.sample_pdf import sample_pdf

pytestmark = pytest.mark.django_db

PDF = sample_pdf("QT-97 Quy trình giữ tệp")


def _data(world, **extra):
    return {
        "code": "QT-97",
        "title": "Quy trình thử",
        "doc_type": "procedure",
        "owner_unit": world.quality.pk,
        "owner": world.iso.pk,
        "confidentiality": "internal",
        "review_interval_months": 12,
        "change_summary": "Ban hành lần đầu.",
        "reviewers": [world.head.pk],
        "approver": world.director.pk,
        **extra,
    }


def _token(page, name="file"):
    found = re.search(rf'name="{name}_kept" value="([^"]+)"', page)
    return found.group(1) if found else None


def test_a_file_chosen_before_an_error_is_kept_and_used(world, client_for, _media):
    client = client_for(world.iso)
    upload = SimpleUploadedFile("giu-tep.pdf", PDF, content_type="application/pdf")
    response = client.post("/documents/new/", _data(world, change_summary=" ", file=upload))
    assert response.status_code == 200 and not Document.objects.exists()
    page = response.content.decode()
    assert "giu-tep.pdf" in page and 'data-testid="kept-file"' in page
    token = _token(page)
    assert token
    # submitted again, with the summary and without choosing the file again
    response = client.post("/documents/new/", _data(world, file_kept=token))
    assert response.status_code == 302, response.content.decode()[:2000]
    revision = Revision.objects.get()
    assert revision.sha256 == hashlib.sha256(PDF).hexdigest()
    assert revision.file_name == "giu-tep.pdf"


def test_a_new_file_replaces_the_kept_one(world, client_for, _media):
    client = client_for(world.iso)
    first = SimpleUploadedFile("cu.pdf", PDF)
    token = _token(
        client.post("/documents/new/", _data(world, title="", file=first)).content.decode()
    )
    other = sample_pdf("Bản khác")
    response = client.post(
        "/documents/new/", _data(world, file_kept=token, file=SimpleUploadedFile("moi.pdf", other))
    )
    assert response.status_code == 302
    assert Revision.objects.get().sha256 == hashlib.sha256(other).hexdigest()


def test_another_persons_kept_file_is_not_theirs_to_use(world, client_for, _media):
    token = _token(
        client_for(world.iso)
        .post("/documents/new/", _data(world, title="", file=SimpleUploadedFile("a.pdf", PDF)))
        .content.decode()
    )
    assert token
    for user in (world.iso, world.director):
        form = RevisionForm(
            {"change_summary": "Sửa", "file_kept": token}, {}, user=user, author=world.iso
        )
        form.is_valid()
        assert form.has_error("file") is (user != world.iso)
        assert ("a.pdf" in str(form["file"])) is (user == world.iso)


def test_a_refused_file_is_not_kept(world, client_for, _media):
    response = client_for(world.iso).post(
        "/documents/new/", _data(world, file=SimpleUploadedFile("x.pdf", b"MZ" + b"\0" * 100))
    )
    assert response.status_code == 200
    assert _token(response.content.decode()) is None
    assert not (_media / "kept-uploads").exists()
