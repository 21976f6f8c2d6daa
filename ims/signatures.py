"""Electronic signatures (21 CFR Part 11 style): re-authenticate, then bind to a content hash."""

from typing import Any, Protocol, cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext as _

from ims import lockout
from ims.models import Signature, User
from ims.models.records import content_hash


class SignatureError(ValidationError):
    pass


class Signable(Protocol):
    """A record that can be signed: a model with the content its signatures are bound to."""

    pk: Any

    def signature_payload(self) -> Any: ...


def _payload(obj: Model) -> Any:
    """What a signature of ``obj`` is bound to (its model's ``signature_payload()``)."""
    return cast(Signable, obj).signature_payload()


def wrong_password_error() -> SignatureError:
    """The one answer to a wrong password and to a paused (username, address) pair, so signing
    never tells one from the other."""
    return SignatureError(
        _(
            "The password is not correct, or it was entered wrongly too many times (then wait "
            "%(minutes)s minutes). Nothing was signed."
        )
        % {"minutes": lockout.lockout_minutes()}
    )


def verify_password(user: User, password: str, request: HttpRequest | None = None) -> None:
    """Check a re-entered password before a signing step's transaction starts, so a wrong one
    counts towards the lockout (a rolled-back transaction would forget it) and changes nothing.
    A paused (username, address) pair gets the same answer as a wrong password."""
    if not lockout.password_matches(user, password, request):
        raise wrong_password_error()


def sign(
    obj: Model,
    *,
    signer: User,
    password: str,
    meaning: str,
    comment: str = "",
    request: HttpRequest | None = None,
) -> Signature:
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
            content_sha256=content_hash(_payload(obj)),
        )


def signatures_for(obj: Model) -> list[Signature]:
    """The signatures of ``obj``, each with ``valid`` set against the record as it is now."""
    current = content_hash(_payload(obj))
    signatures = list(Signature.objects.for_object(obj).select_related("signer"))
    for signature in signatures:
        signature.valid = signature.content_sha256 == current
    return signatures
