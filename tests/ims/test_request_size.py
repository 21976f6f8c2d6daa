"""Request bodies are bounded before Django reads them (uploaded files included)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http.multipartparser import MultiPartParser
from django.test import override_settings

from tests.ims.test_settings_env import _start

pytestmark = pytest.mark.django_db


@pytest.fixture
def body_never_parsed(monkeypatch):
    def refuse(self, *args, **kwargs):
        raise AssertionError("the body was parsed")

    monkeypatch.setattr(MultiPartParser, "parse", refuse)


def test_declared_length_over_the_limit_is_refused_unread(
    client_for, world, settings, body_never_parsed
):
    declared = settings.REQUEST_MAX_BYTES + 1
    response = client_for(world.director).post(
        "/documents/new/", {"title": "x"}, CONTENT_LENGTH=str(declared)
    )
    assert response.status_code == 413
    assert 'data-testid="too-large"' in response.content.decode()


def test_a_file_over_the_limit_is_refused_before_it_reaches_disk(
    client_for, world, settings, body_never_parsed
):
    settings.REQUEST_MAX_BYTES = 64 * 1024
    upload = SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"0" * 100_000, "application/pdf")
    client = client_for(world.director)
    client.cookies["ims_language"] = "en"  # the user is not known yet when the body is refused
    response = client.post("/documents/new/", {"file": upload})
    assert response.status_code == 413
    assert "at most 64.0\xa0KB at once" in response.content.decode()


@override_settings(REQUEST_MAX_BYTES=64 * 1024)
def test_a_body_under_the_limit_goes_through(client):
    response = client.post("/accounts/login/", {"username": "nobody", "password": "x" * 100})
    assert response.status_code == 200


def test_the_limit_must_exceed_the_largest_upload():
    result = _start(
        {"DEBUG": "true", "REQUEST_MAX_BYTES": "2000000", "UPLOAD_MAX_BYTES": "3000000"}
    )
    assert result.returncode != 0 and "REQUEST_MAX_BYTES must be larger" in result.stderr
