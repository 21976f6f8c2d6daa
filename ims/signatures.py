"""Electronic signatures (21 CFR Part 11 style): re-authenticate, then bind to a content hash."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ims import lockout
from ims.models import Signature
from ims.models.records import content_hash


class SignatureError(ValidationError):
    pass


def wrong_password_error():
    """The one answer to a wrong password and to a paused (username, address) pair, so signing
    never tells one from the other."""
    return SignatureError(
        _(
            "The password is not correct, or it was entered wrongly too many times (then wait "
            "%(minutes)s minutes). Nothing was signed."
        )
        % {"minutes": lockout.lockout_minutes()}
    )


def verify_password(user, password, request=None):
    """Check a re-entered password before a signing step's transaction starts, so a wrong one
    counts towards the lockout (a rolled-back transaction would forget it) and changes nothing.
    A paused (username, address) pair gets the same answer as a wrong password."""
    if not lockout.password_matches(user, password, request):
        raise wrong_password_error()


def sign(obj, *, signer, password, meaning, comment="", request=None):
    """Create a signature of ``obj`` by ``signer`` after checking ``password`` in this request.

    The password is checked through the sign-in lockout (``ims.lockout``): a paused pair of
    username and client address is refused before the password is looked at, and a wrong
    password creates nothing and counts as a failed sign-in, exactly as at the login page.
    """
    if meaning not in Signature.Meaning.values:
        raise SignatureError(_("Unknown signature meaning."))
    if not signer.is_active:
        raise SignatureError(_("This account has been deactivated and cannot sign."))
    verify_password(signer, password, request)
    with transaction.atomic():
        return Signature.objects.create(
            content_object=obj,
            object_id=str(obj.pk),
            signer=signer,
            signer_name=signer.display_name,
            meaning=meaning,
            comment=comment,
            content_sha256=content_hash(obj.signature_payload()),
        )


def signatures_for(obj):
    """The signatures of ``obj``, each with ``valid`` set against the record as it is now."""
    current = content_hash(obj.signature_payload())
    signatures = list(Signature.objects.for_object(obj).select_related("signer"))
    for signature in signatures:
        signature.valid = signature.content_sha256 == current
    return signatures
