"""A photo taken before a validation error is kept for the next submit of the finding."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audits.models import Audit, Finding, FindingEvidence
from tests.audits.factories import clauses, grade, jpeg_bytes, make_audit, make_finding

pytestmark = pytest.mark.django_db


@pytest.fixture
def audit(world):
    return make_audit(world, status=Audit.Status.IN_PROGRESS)


def _finding_data(world, **extra):
    return {
        "finding_id": "0b6a1f8e-1d8e-4a58-9b1f-6f0e6b2f7a11",
        "grade": grade("minor_nc").pk,
        "statement": "Phòng học thiếu ánh sáng",
        "clauses": [clauses("7.1.3")[0].pk],
        "unit": world.school.pk,
        **extra,
    }


def _tokens(page, name):
    return re.findall(rf'name="{name}_kept" value="([^"]+)"', page)


def test_photos_survive_a_missing_statement(world, audit, client_for, _media):
    client = client_for(world.auditor)
    url = reverse("audits:finding_create", args=[audit.pk])
    photos = [SimpleUploadedFile(f"lop-{i}.jpg", jpeg_bytes()) for i in range(2)]
    response = client.post(url, _finding_data(world, statement="", photos=photos))
    assert response.status_code == 200 and not Finding.objects.exists()
    page = response.content.decode()
    tokens = _tokens(page, "photos")
    assert len(tokens) == 2 and "lop-0.jpg" in page and "lop-1.jpg" in page
    # one is unticked (dropped), the other sent again without choosing it
    response = client.post(url, _finding_data(world, photos_kept=tokens[:1]))
    assert response.status_code == 302
    finding = Finding.objects.get()
    assert finding.evidence.filter(kind=FindingEvidence.Kind.PHOTO).count() == 1


def test_evidence_photo_survives_a_refused_step_and_the_page_returns_to_evidence(
    world, audit, client_for, _media
):
    finding = make_finding(audit, world)
    client = client_for(world.auditor)
    url = reverse("audits:finding_evidence_add", args=[finding.pk])
    # a photo sent as a "note" without text: refused by the service, the photo is kept
    photo = SimpleUploadedFile("bang.jpg", jpeg_bytes())
    response = client.post(url, {"kind": "note", "text": "", "photos": photo})
    assert response.status_code == 400
    page = response.content.decode()
    assert "error-summary" in page
    (token,) = _tokens(page, "photos")
    response = client.post(url, {"kind": "photo", "photos_kept": token})
    assert response.status_code == 302
    assert response["Location"].endswith("#evidence")
    assert finding.evidence.filter(kind=FindingEvidence.Kind.PHOTO).count() == 1
    page = client.get(response["Location"]).content.decode()
    steps = page.index('data-testid="step-messages"')
    assert steps > page.index('id="evidence"')
