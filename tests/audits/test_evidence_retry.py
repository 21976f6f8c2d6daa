"""Photos on a phone: several at once from the gallery, or one from the camera; a form sent
twice (a retry on a weak network, a reload) stores its finding and its evidence once."""

import re
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from audits import services
from audits.models import MAX_PHOTOS_PER_FINDING, Audit, Finding, FindingEvidence
from tests.audits.factories import clauses, grade, jpeg_bytes, make_audit, make_finding

pytestmark = pytest.mark.django_db

PHOTO = FindingEvidence.Kind.PHOTO


@pytest.fixture
def audit(world):
    return make_audit(world, status=Audit.Status.IN_PROGRESS)


@pytest.fixture
def finding(audit, world):
    return make_finding(audit, world)


def _photos(n, prefix="anh"):
    return [SimpleUploadedFile(f"{prefix}-{i}.jpg", jpeg_bytes()) for i in range(n)]


def _file_inputs(html, name):
    return re.findall(rf'<input type="file" name="{name}"[^>]*>', html)


def _evidence_id(html):
    return re.search(r'name="evidence_id" value="([0-9a-f-]{36})"', html).group(1)


@pytest.mark.parametrize("page", ["finding_form", "finding_detail"])
def test_photo_inputs_take_several_from_the_gallery_and_one_from_the_camera(
    world, client_for, audit, finding, page
):
    if page == "finding_form":
        url = reverse("audits:finding_create", args=[audit.pk])
    else:
        url = finding.get_absolute_url()
    html = client_for(world.auditor).get(url).content.decode()
    gallery, camera = _file_inputs(html, "photos")
    assert 'accept="image/*"' in gallery and "multiple" in gallery and "capture" not in gallery
    assert 'capture="environment"' in camera and "multiple" not in camera
    assert 'for="id_photos_camera"' in html and 'id="id_photos_camera"' in camera


def test_gallery_and_camera_photos_arrive_together(world, client_for, finding):
    client = client_for(world.auditor)
    evidence_id = _evidence_id(client.get(finding.get_absolute_url()).content.decode())
    response = client.post(
        reverse("audits:finding_evidence_add", args=[finding.pk]),
        {"evidence_id": evidence_id, "kind": "photo", "photos": _photos(3)},
    )
    assert response.status_code == 302
    assert finding.evidence.filter(kind=PHOTO).count() == 3


def test_add_evidence_sent_twice_stores_its_photos_once(world, client_for, finding):
    client = client_for(world.auditor)
    page = client.get(finding.get_absolute_url()).content.decode()
    evidence_id = _evidence_id(page)
    url = reverse("audits:finding_evidence_add", args=[finding.pk])
    for _attempt in range(2):
        response = client.post(
            url, {"evidence_id": evidence_id, "kind": "photo", "photos": _photos(2)}
        )
        assert response.status_code == 302 and response["Location"].endswith("#evidence")
    photos = finding.evidence.filter(kind=PHOTO)
    assert photos.count() == 2
    first = uuid.UUID(evidence_id)
    assert set(photos.values_list("pk", flat=True)) == {first, uuid.uuid5(first, "1")}
    # the finding as it is, with its two photos
    page = client.get(response["Location"]).content.decode()
    assert page.count('class="finding-photo"') == 2
    # a new form shown is a new id: the next photo is added
    assert _evidence_id(page) != evidence_id


def test_a_note_sent_twice_is_stored_once(world, client_for, finding):
    client = client_for(world.auditor)
    evidence_id = _evidence_id(client.get(finding.get_absolute_url()).content.decode())
    url = reverse("audits:finding_evidence_add", args=[finding.pk])
    data = {"evidence_id": evidence_id, "kind": "note", "text": "Phỏng vấn tổ trưởng"}
    version = finding.version
    client.post(url, data)
    client.post(url, data)
    assert finding.evidence.filter(text="Phỏng vấn tổ trưởng").count() == 1
    # A device holding the older version now gets a conflict, not a silent overwrite.
    finding.refresh_from_db()
    assert finding.version == version + 1


def test_an_id_used_on_another_finding_is_refused_and_stores_nothing(world, audit, finding):
    other = make_finding(audit, world, statement="Một phát hiện khác")
    evidence_id = uuid.uuid4()
    services.finding_add_evidence(
        finding, actor=world.auditor, kind="note", text="a", evidence_id=evidence_id
    )
    with translation.override("en"), pytest.raises(ValidationError, match="reload"):
        services.finding_add_evidence(
            other, actor=world.auditor, kind="note", text="b", evidence_id=evidence_id
        )
    assert not other.evidence.filter(text="b").exists()


def test_too_many_photos_are_refused_with_the_number_left_and_nothing_stored(
    world, client_for, finding, settings
):
    services.finding_add_evidence(
        finding, actor=world.auditor, kind="photo", photos=_photos(MAX_PHOTOS_PER_FINDING - 2)
    )
    client = client_for(world.auditor)
    url = reverse("audits:finding_evidence_add", args=[finding.pk])
    response = client.post(
        url, {"evidence_id": str(uuid.uuid4()), "kind": "photo", "photos": _photos(3)}
    )
    assert response.status_code == 400
    assert "2" in response.content.decode()  # "add 2 more at most"
    assert finding.evidence.filter(kind=PHOTO).count() == MAX_PHOTOS_PER_FINDING - 2
    # the three photos are kept for the next try: nobody picks them again
    assert len(re.findall(r'name="photos_kept"', response.content.decode())) == 3


def test_a_form_error_keeps_every_photo_chosen(world, client_for, finding):
    client = client_for(world.auditor)
    url = reverse("audits:finding_evidence_add", args=[finding.pk])
    response = client.post(url, {"kind": "note", "text": "", "photos": _photos(2)})
    assert response.status_code == 400
    page = response.content.decode()
    tokens = re.findall(r'name="photos_kept" value="([^"]+)"', page)
    assert len(tokens) == 2 and "anh-0.jpg" in page and "anh-1.jpg" in page
    response = client.post(url, {"kind": "photo", "photos_kept": tokens})
    assert response.status_code == 302
    assert finding.evidence.filter(kind=PHOTO).count() == 2


def test_evidence_add_as_member_and_outsider_stores_nothing(world, client_for, finding):
    url = reverse("audits:finding_evidence_add", args=[finding.pk])
    data = {"evidence_id": str(uuid.uuid4()), "kind": "note", "text": "không được"}
    member = client_for(world.principal).post(url, data)
    assert member.status_code == 302  # the finding's page says why
    assert client_for(world.principal2).post(url, data).status_code == 404
    assert not finding.evidence.filter(text="không được").exists()


def test_finding_page_queries_stay_flat_as_photos_grow(
    world, client_for, finding, django_assert_max_num_queries
):
    client = client_for(world.auditor)
    client.get(finding.get_absolute_url())  # warm the session
    services.finding_add_evidence(finding, actor=world.auditor, kind="photo", photos=_photos(1))
    with django_assert_max_num_queries(22) as one:
        client.get(finding.get_absolute_url())
    services.finding_add_evidence(finding, actor=world.auditor, kind="photo", photos=_photos(4))
    with django_assert_max_num_queries(len(one)):
        client.get(finding.get_absolute_url())


def test_the_finding_form_sent_twice_records_one_finding_with_its_photos(world, client_for, audit):
    client = client_for(world.auditor)
    url = reverse("audits:finding_create", args=[audit.pk])
    finding_id = re.search(
        r'name="finding_id" value="([0-9a-f-]{36})"', client.get(url).content.decode()
    ).group(1)
    for _attempt in range(2):
        response = client.post(
            url,
            {
                "finding_id": finding_id,
                "grade": grade("minor_nc").pk,
                "statement": "Phòng học thiếu ánh sáng",
                "clauses": [clauses("7.1.3")[0].pk],
                "unit": world.school.pk,
                "photos": _photos(2),
            },
        )
        assert response.status_code == 302
    finding = Finding.objects.get()
    assert str(finding.pk) == finding_id and finding.evidence.filter(kind=PHOTO).count() == 2
