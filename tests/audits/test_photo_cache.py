"""A finding photo is cached privately by the browser: a long max-age, an ETag from its SHA-256,
304 on If-None-Match after the same access check. An outsider still gets 404."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audits import services
from audits.models import Audit
from tests.audits.factories import jpeg_bytes, make_audit, make_finding

YEAR = 365 * 24 * 3600


@pytest.fixture
def evidence(world):
    audit = make_audit(world, status=Audit.Status.IN_PROGRESS)
    finding = make_finding(audit, world)
    return services.finding_add_evidence(
        finding, actor=world.auditor, kind="photo", photo=SimpleUploadedFile("p.jpg", jpeg_bytes())
    )


def cache_directives(response):
    return set(response["Cache-Control"].split(", "))


@pytest.mark.parametrize("who", ["auditor", "teacher"])  # the team, and an auditee who reads
@pytest.mark.parametrize("name", ["audits:photo", "audits:photo_thumb"])
def test_photo_is_cached_privately_for_a_year(world, evidence, client_for, who, name):
    response = client_for(getattr(world, who)).get(reverse(name, args=[evidence.pk]))
    assert response.status_code == 200
    assert cache_directives(response) == {"private", f"max-age={YEAR}", "immutable"}
    assert "no-store" not in response["Cache-Control"]
    assert "Cookie" in response["Vary"]
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8\xff")


def test_etag_is_the_stored_photos_sha256_and_the_thumbnail_has_its_own(
    world, evidence, client_for
):
    client = client_for(world.auditor)
    full = client.get(reverse("audits:photo", args=[evidence.pk]))
    thumb = client.get(reverse("audits:photo_thumb", args=[evidence.pk]))
    assert len(evidence.sha256) == 64
    assert full["ETag"] == f'"{evidence.sha256}"'
    assert thumb["ETag"] == f'"{evidence.sha256}-thumb"'


@pytest.mark.parametrize("name", ["audits:photo", "audits:photo_thumb"])
def test_matching_if_none_match_answers_304_without_the_file(
    world, evidence, client_for, django_assert_max_num_queries, name
):
    client = client_for(world.auditor)
    url = reverse(name, args=[evidence.pk])
    etag = client.get(url)["ETag"]
    with django_assert_max_num_queries(4):
        response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert cache_directives(response) == {"private", f"max-age={YEAR}", "immutable"}
    # A list of tags, or the weak form a proxy may have made of it, matches too.
    assert client.get(url, headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304


def test_another_etag_gets_the_photo(world, evidence, client_for):
    client = client_for(world.auditor)
    other = client.get(reverse("audits:photo_thumb", args=[evidence.pk]))["ETag"]
    response = client.get(
        reverse("audits:photo", args=[evidence.pk]), headers={"If-None-Match": other}
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8\xff")


@pytest.mark.parametrize("who", ["principal2", "head"])
def test_outsider_with_the_right_etag_still_gets_404(world, evidence, client_for, who):
    client = client_for(getattr(world, who))
    for name in ("audits:photo", "audits:photo_thumb"):
        response = client.get(
            reverse(name, args=[evidence.pk]), headers={"If-None-Match": f'"{evidence.sha256}"'}
        )
        assert response.status_code == 404
        assert "ETag" not in response
        assert "immutable" not in response.get("Cache-Control", "")


def test_signed_out_browser_is_sent_to_sign_in_not_given_a_304(evidence, client):
    response = client.get(
        reverse("audits:photo", args=[evidence.pk]),
        headers={"If-None-Match": f'"{evidence.sha256}"'},
    )
    assert response.status_code == 302
    assert "ETag" not in response
