"""Bad files are refused with a clear message and nothing is stored."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from documents.models import Document, Revision
from documents.sample_pdf import sample_pdf
from ims.models import Clause

pytestmark = pytest.mark.django_db


def _post(client, world, upload, **extra):
    data = {
        "code": "QT-99",
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
    if upload is not None:
        data["file"] = upload
    return client.post("/documents/new/", data)


def _stored_files(media):
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("setup.pdf", b"MZ\x90\x00" + b"\x00" * 200, "not an accepted type"),
        ("empty.pdf", b"", "empty"),
        ("quytrinh", sample_pdf("QT-01"), "no extension"),
        ("quytrinh.docx", sample_pdf("QT-01"), "name ends in .docx"),
    ],
)
def test_bad_file_is_refused_with_message_and_nothing_stored(
    world, client_for, _media, name, content, message
):
    world.iso.language = "en"
    world.iso.save(update_fields=["language"])
    client = client_for(world.iso)
    response = _post(client, world, SimpleUploadedFile(name, content))
    assert response.status_code == 200
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not Document.objects.exists() and not Revision.objects.exists()
    assert _stored_files(_media) == []


def test_oversize_file_is_refused(world, client_for, settings, _media):
    settings.UPLOAD_MAX_BYTES = 2048
    client = client_for(world.iso)
    big = sample_pdf("QT-01", ["x" * 60] * 60)
    assert len(big) > 2048
    response = _post(client, world, SimpleUploadedFile("big.pdf", big))
    assert "MB" in response.content.decode()
    assert not Document.objects.exists()
    assert _stored_files(_media) == []


def test_message_is_in_vietnamese_by_default(world, client_for):
    response = _post(client_for(world.iso), world, SimpleUploadedFile("a.pdf", b""))
    assert "Tệp rỗng (0 byte)." in response.content.decode()


def test_good_pdf_is_stored_with_sha256(world, client_for, _media):
    import hashlib

    data = sample_pdf("QT-99 Quy trình thử")
    clause = Clause.objects.filter(number="7.5").first()
    response = _post(
        client_for(world.iso),
        world,
        SimpleUploadedFile("qt99.pdf", data),
        clauses=[clause.pk] if clause else [],
    )
    assert response.status_code == 302
    revision = Revision.objects.get()
    assert revision.sha256 == hashlib.sha256(data).hexdigest()
    assert revision.file_kind == "pdf" and revision.file_size == len(data)
    assert len(_stored_files(_media)) == 1
    assert str(revision.file.path).startswith(str(_media))  # private media, not static


def test_missing_change_summary_is_refused(world, client_for):
    response = _post(
        client_for(world.iso),
        world,
        SimpleUploadedFile("a.pdf", sample_pdf("x")),
        change_summary="  ",
    )
    assert response.status_code == 200
    assert not Document.objects.exists()


def test_duplicate_code_in_same_unit_is_refused(world, client_for):
    client = client_for(world.iso)
    assert _post(client, world, SimpleUploadedFile("a.pdf", sample_pdf("x"))).status_code == 302
    response = _post(client, world, SimpleUploadedFile("b.pdf", sample_pdf("y")))
    assert response.status_code == 200
    assert Document.objects.count() == 1 and Revision.objects.count() == 1


def test_external_document_needs_issuer_and_number(world, client_for):
    response = _post(
        client_for(world.iso),
        world,
        SimpleUploadedFile("a.pdf", sample_pdf("x")),
        doc_type="external",
    )
    assert response.status_code == 200
    assert not Document.objects.exists()
