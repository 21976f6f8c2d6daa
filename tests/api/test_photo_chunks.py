"""PUT/GET /api/v1/findings/{uuid}/photos/{uuid}: resumable chunks with a whole-file checksum."""

import base64
import hashlib

import pytest

from audits.models import FindingEvidence, FindingPhotoChunk, FindingPhotoUpload
from tests.api.conftest import finding_body, new_id
from tests.audits.factories import jpeg_bytes

pytestmark = pytest.mark.django_db

PHOTO = jpeg_bytes(size=(400, 300), color=(10, 120, 200))


def digest_of(content):
    return base64.b64encode(hashlib.sha256(content).digest()).decode()


def send(api, finding, photo, content, start, end, *, digest=None, total=None):
    total = len(content) if total is None else total
    return api.put(
        f"/findings/{finding}/photos/{photo}",
        raw=content[start:end],
        headers={
            "Content-Range": f"bytes {start}-{end - 1}/{total}",
            "Repr-Digest": f"sha-256=:{digest or digest_of(content)}:",
        },
    )


@pytest.fixture
def declared(world, audit, api_for):
    """A finding created with one photo still to arrive: (api, finding id, photo id)."""
    api, finding, photo = api_for(world.auditor), new_id(), new_id()
    response = api.put(f"/findings/{finding}", finding_body(audit, world, photos=[photo]))
    assert response.status_code == 201, response.content
    assert response.json()["photos_pending"] == [photo]
    return api, finding, photo


def thirds(content):
    third = len(content) // 3
    return [(0, third), (third, 2 * third), (2 * third, len(content))]


def test_out_of_order_chunks_make_the_photo(declared):
    api, finding, photo = declared
    first, second, last = thirds(PHOTO)
    assert send(api, finding, photo, PHOTO, *last).status_code == 202
    progress = api.get(f"/findings/{finding}/photos/{photo}").json()
    assert progress == {"size": len(PHOTO), "received": [list(last)], "complete": False}
    assert send(api, finding, photo, PHOTO, *first).status_code == 202
    response = send(api, finding, photo, PHOTO, *second)
    assert response.status_code == 201, response.content
    evidence = FindingEvidence.objects.get(pk=photo)
    assert evidence.kind == FindingEvidence.Kind.PHOTO and str(evidence.finding_id) == finding
    assert evidence.photo and evidence.thumbnail
    assert not FindingPhotoChunk.objects.exists()
    assert FindingPhotoUpload.objects.get(pk=photo).completed_at is not None
    assert api.get(f"/findings/{finding}").json()["photos_pending"] == []
    assert api.get(f"/findings/{finding}/photos/{photo}").json()["complete"] is True
    # The last chunk again, after completion: 200, nothing changes.
    assert send(api, finding, photo, PHOTO, *second).status_code == 200
    assert FindingEvidence.objects.filter(kind="photo").count() == 1


def test_a_repeated_chunk_changes_nothing(declared):
    api, finding, photo = declared
    first, _second, _last = thirds(PHOTO)
    assert send(api, finding, photo, PHOTO, *first).status_code == 202
    assert send(api, finding, photo, PHOTO, *first).status_code == 202
    assert FindingPhotoChunk.objects.count() == 1
    assert api.get(f"/findings/{finding}/photos/{photo}").json()["received"] == [list(first)]


def test_a_wrong_checksum_discards_the_chunks_and_the_photo_can_be_sent_again(declared):
    api, finding, photo = declared
    wrong = digest_of(b"another file")
    parts = thirds(PHOTO)
    for part in parts[:-1]:
        assert send(api, finding, photo, PHOTO, *part, digest=wrong).status_code == 202
    response = send(api, finding, photo, PHOTO, *parts[-1], digest=wrong)
    assert response.status_code == 422 and response.json()["code"] == "checksum_mismatch"
    assert not FindingPhotoChunk.objects.exists()
    assert not FindingEvidence.objects.filter(pk=photo).exists()
    assert api.get(f"/findings/{finding}/photos/{photo}").json()["received"] == []
    for part in parts:
        response = send(api, finding, photo, PHOTO, *part)
    assert response.status_code == 201
    assert FindingEvidence.objects.filter(pk=photo).exists()


def test_a_photo_over_the_size_limit_is_413(declared, settings):
    settings.AUDIT_PHOTO_MAX_BYTES = 1024
    api, finding, photo = declared
    response = send(api, finding, photo, PHOTO, 0, 500)
    assert response.status_code == 413 and response.json()["code"] == "too_large"
    assert not FindingPhotoChunk.objects.exists()


def test_a_chunk_whose_range_does_not_match_its_body_is_422(declared):
    api, finding, photo = declared
    response = api.put(
        f"/findings/{finding}/photos/{photo}",
        raw=PHOTO[:100],
        headers={
            "Content-Range": f"bytes 0-199/{len(PHOTO)}",
            "Repr-Digest": f"sha-256=:{digest_of(PHOTO)}:",
        },
    )
    assert response.status_code == 422
    assert not FindingPhotoChunk.objects.exists()


def test_a_chunk_without_repr_digest_is_422(declared):
    api, finding, photo = declared
    response = api.put(
        f"/findings/{finding}/photos/{photo}",
        raw=PHOTO[:100],
        headers={"Content-Range": f"bytes 0-99/{len(PHOTO)}"},
    )
    assert response.status_code == 422
    assert not FindingPhotoChunk.objects.exists()


def test_a_chunk_for_a_finding_the_user_cannot_see_is_404(declared, world, api_for, token_api_for):
    _api, finding, photo = declared
    for outsider in (api_for(world.principal2), token_api_for(world.principal2)):
        assert send(outsider, finding, photo, PHOTO, 0, 100).status_code == 404
        assert outsider.get(f"/findings/{finding}/photos/{photo}").status_code == 404
    assert not FindingPhotoChunk.objects.exists()


def test_a_photo_the_finding_was_not_declared_with_is_404(declared):
    api, finding, _photo = declared
    assert send(api, finding, new_id(), PHOTO, 0, 100).status_code == 404
    assert not FindingPhotoChunk.objects.exists()


def test_someone_who_sees_the_finding_but_is_not_on_the_team_gets_403(declared, world, api_for):
    _api, finding, photo = declared
    response = send(api_for(world.principal), finding, photo, PHOTO, 0, 100)
    assert response.status_code == 403
    assert not FindingPhotoChunk.objects.exists()


def test_a_finding_declares_at_most_ten_photos(world, audit, api_for):
    photos = [new_id() for _ in range(11)]
    response = api_for(world.auditor).put(
        f"/findings/{new_id()}", finding_body(audit, world, photos=photos)
    )
    assert response.status_code == 422
    assert not FindingPhotoUpload.objects.exists()


def test_a_photo_declared_by_a_later_update_can_arrive(declared, world, audit):
    api, finding, photo = declared
    later = new_id()
    response = api.put(
        f"/findings/{finding}",
        finding_body(audit, world, photos=[photo, later]),
        headers={"If-Match": '"1"'},
    )
    assert response.status_code == 200, response.content
    assert send(api, finding, later, PHOTO, 0, len(PHOTO)).status_code == 201
    assert sorted(api.get(f"/findings/{finding}").json()["photos_pending"]) == [photo]


def test_a_damaged_image_with_a_matching_checksum_is_422_and_discarded(declared):
    api, finding, photo = declared
    damaged = PHOTO[: len(PHOTO) // 2]
    response = send(api, finding, photo, damaged, 0, len(damaged))
    assert response.status_code == 422
    assert not FindingPhotoChunk.objects.exists()
    assert not FindingEvidence.objects.filter(pk=photo).exists()


def test_the_finding_page_says_photos_are_still_arriving_until_they_have(
    declared, client_for, world
):
    api, finding, photo = declared
    page = client_for(world.auditor)
    url = f"/audits/findings/{finding}/"
    assert b'data-testid="photos-arriving"' in page.get(url).content
    send(api, finding, photo, PHOTO, 0, len(PHOTO))
    assert b'data-testid="photos-arriving"' not in page.get(url).content
