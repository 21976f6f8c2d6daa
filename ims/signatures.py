"""Electronic signatures (21 CFR Part 11 style): re-authenticate, then bind to a content hash."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ims import lockout
from ims.models import Signature
from ims.models.records import content_hash


class SignatureError(ValidationError):
    pass


def sign(obj, *, signer, password, meaning, comment="", address=None):
    """Create a signature of ``obj`` by ``signer`` after checking ``password`` in this request.

    A wrong password creates nothing and counts as a failed sign-in, so repeated guesses lock the
    account exactly as they do at the login page.
    """
    if meaning not in Signature.Meaning.values:
        raise SignatureError(_("Unknown signature meaning."))
    if not signer.is_active:
        raise SignatureError(_("This account has been deactivated and cannot sign."))
    try:
        lockout.check(signer.username, address)
    except lockout.Locked as locked:
        raise SignatureError(
            _("Too many wrong passwords. Signing is locked for %(minutes)s minutes.")
            % {"minutes": locked.minutes}
        ) from None
    if not password or not signer.check_password(password):
        lockout.record_failure(signer.username, address)
        raise SignatureError(_("The password is not correct. Nothing was signed."))
    lockout.record_success(signer)
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
