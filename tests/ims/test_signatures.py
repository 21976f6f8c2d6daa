"""Electronic signatures: re-authentication, hash binding, invalid after change, append-only."""

import pytest
from axes.models import AccessAttempt
from django.core.exceptions import PermissionDenied
from django.utils import translation

from ims.models import OrgUnit, Signature
from ims.signatures import SignatureError, sign, signatures_for


@pytest.fixture
def signable(monkeypatch):
    """OrgUnit stands in for any signed record: its payload is its code and name."""
    monkeypatch.setattr(
        OrgUnit,
        "signature_payload",
        lambda self: {"code": self.code, "name": self.name},
        raising=False,
    )


def test_signature_is_valid_until_the_record_changes(world, signable):
    sign(world.school, signer=world.principal, password="demo", meaning=Signature.Meaning.APPROVED)
    [signature] = signatures_for(world.school)
    assert signature.valid and signature.signer_name == world.principal.display_name
    world.school.name = "Trường Tiểu học Tô Hiệu (đổi tên)"
    world.school.save()
    [signature] = signatures_for(world.school)
    assert not signature.valid
    assert not Signature.objects.get().is_valid


def test_wrong_password_creates_no_signature(world, signable):
    with translation.override("en"), pytest.raises(SignatureError, match="not correct"):
        sign(
            world.school,
            signer=world.principal,
            password="wrong",
            meaning=Signature.Meaning.APPROVED,
        )
    with pytest.raises(SignatureError):
        sign(world.school, signer=world.principal, password="", meaning=Signature.Meaning.APPROVED)
    assert Signature.objects.count() == 0


def test_repeated_wrong_passwords_lock_signing(world, signable, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        with pytest.raises(SignatureError) as wrong:
            sign(world.school, signer=world.principal, password="bad", meaning="approved")
    with pytest.raises(SignatureError) as paused:
        sign(world.school, signer=world.principal, password="demo", meaning="approved")
    assert paused.value.messages == wrong.value.messages  # a pause reads as a wrong password
    assert Signature.objects.count() == 0
    assert AccessAttempt.objects.get(username="principal").failures_since_start == 3


def test_signature_rows_cannot_be_changed_or_deleted(world, signable):
    signature = sign(world.school, signer=world.principal, password="demo", meaning="approved")
    signature.meaning = Signature.Meaning.REVIEWED
    with pytest.raises(PermissionDenied):
        signature.save()
    with pytest.raises(PermissionDenied):
        signature.delete()
    with pytest.raises(PermissionDenied):
        Signature.objects.all().delete()


def test_unknown_meaning_is_refused(world, signable):
    with pytest.raises(SignatureError):
        sign(world.school, signer=world.principal, password="demo", meaning="blessed")


def test_deactivated_account_cannot_sign(world, signable):
    world.principal.is_active = False
    world.principal.save()
    with pytest.raises(SignatureError):
        sign(
            world.school,
            signer=world.principal,
            password="demo",
            meaning=Signature.Meaning.APPROVED,
        )
    assert not Signature.objects.exists()
