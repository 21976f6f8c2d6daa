"""Kept uploads (ims.keptuploads): owned by one user, signed, expiring, never served."""

import os
import time

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from ims import keptuploads
from ims.keptuploads import keep, purge_expired, restore

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_the_owner_gets_the_file_back_and_nobody_else(world):
    token = keep(SimpleUploadedFile("bien-ban.pdf", b"%PDF-1.4 x"), world.teacher)
    back = restore(token, world.teacher)
    assert back.name == "bien-ban.pdf" and back.read() == b"%PDF-1.4 x"
    assert restore(token, world.principal) is None
    assert restore(token + "x", world.teacher) is None
    assert restore("kept-uploads/1/abc", world.teacher) is None


def test_a_token_past_its_age_is_ignored(world, monkeypatch):
    token = keep(SimpleUploadedFile("a.pdf", b"%PDF"), world.teacher)
    monkeypatch.setattr(keptuploads, "KEEP_SECONDS", -1)
    assert restore(token, world.teacher) is None


def test_old_kept_files_are_removed(world, _media):
    keep(SimpleUploadedFile("old.pdf", b"%PDF old"), world.teacher)
    (folder,) = [d for d, _s, files in os.walk(_media) if files]
    (name,) = os.listdir(folder)
    old = time.time() - keptuploads.KEEP_SECONDS - 60
    os.utime(os.path.join(folder, name), (old, old))
    keep(SimpleUploadedFile("new.pdf", b"%PDF new"), world.teacher)  # purges on the way
    assert len(os.listdir(folder)) == 1
    assert purge_expired() == 0


def test_kept_files_live_in_private_media_under_their_owner(world, settings):
    token = keep(SimpleUploadedFile("a.pdf", b"%PDF"), world.teacher)
    upload = restore(token, world.teacher)
    path = upload.file.name
    assert f"kept-uploads{os.sep}{world.teacher.pk}{os.sep}" in path
    assert str(default_storage.base_location) in path  # MEDIA_ROOT: no URL serves it
    assert not settings.MEDIA_URL.startswith("/media")
