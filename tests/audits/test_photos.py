"""Evidence photos: bad files refused with a clear message and nothing stored; good ones
re-encoded without EXIF, with a thumbnail, at most 10 per finding."""

import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from audits import services
from audits.models import Audit, Finding, FindingEvidence
from tests.audits.factories import clauses, grade, jpeg_bytes, make_audit, make_finding, png_bytes


@pytest.fixture
def audit(world):
    return make_audit(world, status=Audit.Status.IN_PROGRESS)


def _files(root):
    return [os.path.join(d, f) for d, _s, fs in os.walk(root) for f in fs] if root.exists() else []


def _post(client, audit, world, upload):
    return client.post(
        reverse("audits:finding_create", args=[audit.pk]),
        {
            "finding_id": "0b6a1f8e-1d8e-4a58-9b1f-6f0e6b2f7a10",
            "grade": grade("minor_nc").pk,
            "statement": "Phòng học thiếu ánh sáng",
            "clauses": [clauses("7.1.3")[0].pk],
            "unit": world.school.pk,
            "photos": [upload],
        },
    )


def _huge_png(width, height):
    """A valid PNG header claiming ``width`` × ``height`` pixels: tiny on disk (a bomb)."""
    import struct
    import zlib

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    raw = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("anh.jpg", b"%PDF-1.7 not a photo at all", "không thuộc loại được chấp nhận"),
        ("anh.jpg", b"hello, this is text", "không thuộc loại được chấp nhận"),
        ("anh.jpg", jpeg_bytes(size=(400, 300))[:300], "tệp bị hỏng hoặc không đầy đủ"),
        ("bom.png", _huge_png(30000, 30000), "megapixel"),
    ],
    ids=["pdf", "text", "truncated-jpeg", "pixel-bomb"],
)
def test_bad_photo_is_refused_with_a_message_and_nothing_is_stored(
    world, audit, client_for, _media, name, content, message
):
    response = _post(client_for(world.auditor), audit, world, SimpleUploadedFile(name, content))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Finding.objects.exists() and not FindingEvidence.objects.exists()
    assert _files(_media) == []


def test_oversize_photo_is_refused(world, audit, client_for, _media, settings):
    settings.AUDIT_PHOTO_MAX_BYTES = 50_000
    big = Image.effect_noise((600, 600), 90).convert("RGB")
    buffer = io.BytesIO()
    big.save(buffer, format="JPEG", quality=100)
    assert len(buffer.getvalue()) > 50_000
    response = _post(
        client_for(world.auditor), audit, world, SimpleUploadedFile("to.jpg", buffer.getvalue())
    )
    assert "giới hạn là" in response.content.decode()
    assert not Finding.objects.exists() and _files(_media) == []


def test_default_photo_limit_is_10_mb(world, audit):
    from audits.photos import photo_max_bytes

    assert photo_max_bytes() == 10 * 1024 * 1024


def test_photo_is_reencoded_without_exif_and_gets_a_thumbnail(world, audit, client_for):
    original = jpeg_bytes(size=(1200, 900), exif=True)
    assert Image.open(io.BytesIO(original)).getexif()
    response = _post(client_for(world.auditor), audit, world, SimpleUploadedFile("a.jpg", original))
    finding = Finding.objects.get()
    assert response.status_code == 302 and response["Location"] == finding.get_absolute_url()
    evidence = finding.evidence.get()
    stored = Image.open(evidence.photo.open("rb"))
    assert stored.format == "JPEG" and not stored.getexif() and "exif" not in stored.info
    assert evidence.photo.open("rb").read() != original
    thumb = Image.open(evidence.thumbnail.open("rb"))
    assert max(thumb.size) == 320 and evidence.sha256


def test_png_photo_is_accepted(world, audit):
    finding = services.finding_record(
        audit,
        actor=world.auditor,
        grade=grade("observation"),
        clauses=clauses("7.1.3"),
        unit=world.school,
        statement="Bảng tin",
        photos=[SimpleUploadedFile("b.png", png_bytes())],
    )
    assert finding.evidence.get().kind == "photo"


def test_at_most_ten_photos_per_finding(world, audit):
    finding = make_finding(audit, world)
    for _ in range(10):
        services.finding_add_evidence(
            finding,
            actor=world.auditor,
            kind="photo",
            photo=SimpleUploadedFile("c.jpg", jpeg_bytes()),
        )
    with pytest.raises(Exception, match="10"):
        services.finding_add_evidence(
            finding,
            actor=world.auditor,
            kind="photo",
            photo=SimpleUploadedFile("c.jpg", jpeg_bytes()),
        )
    assert finding.evidence.filter(kind="photo").count() == 10
    with pytest.raises(Exception, match="10"):
        services.finding_record(
            audit,
            actor=world.auditor,
            grade=grade("observation"),
            clauses=clauses("7.1.3"),
            unit=world.school,
            statement="x",
            photos=[SimpleUploadedFile("c.jpg", jpeg_bytes()) for _ in range(11)],
        )
