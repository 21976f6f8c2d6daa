"""State changes of user accounts: deactivate and reactivate (accounts are never deleted), and
a first password given by a manager."""

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ims.access import may_manage_account
from ims.history import with_reason
from ims.models import User
from ims.transitions import TransitionError, record_transition

ACTIVE, DEACTIVATED = User.Status.ACTIVE, User.Status.DEACTIVATED
# The longest reason the account page accepts for deactivating or reactivating.
REASON_MAX_LENGTH = 500


def _change(actor: User, person: User, *, active: bool, reason: str) -> User:
    with transaction.atomic():
        person = User.objects.select_for_update().get(pk=person.pk)
        if not may_manage_account(actor, person):
            raise TransitionError(_("You may not change this account."))
        if person.is_active == active:
            raise TransitionError(
                _("The account is already active.")
                if active
                else _("The account is already deactivated.")
            )
        if not reason.strip():
            raise TransitionError(
                _("Give a reason for reactivating the account.")
                if active
                else _("Give a reason for deactivating the account.")
            )
        person.is_active = active
        person.deactivated_at = None if active else timezone.now()
        with_reason(person, reason).save(update_fields=["is_active", "deactivated_at"])
        record_transition(
            person,
            actor=actor,
            action="reactivate" if active else "deactivate",
            from_state=DEACTIVATED if active else ACTIVE,
            to_state=ACTIVE if active else DEACTIVATED,
            reason=reason,
        )
    return person


def user_deactivate(actor: User, person: User, reason: str) -> User:
    """The person can no longer sign in or sign; their records and signatures stay."""
    return _change(actor, person, active=False, reason=reason)


def user_reactivate(actor: User, person: User, reason: str) -> User:
    return _change(actor, person, active=True, reason=reason)


def may_get_first_password(person: User) -> bool:
    """A manager gives a first password only to someone who cannot get one by e-mail (no address)
    or has never signed in (an imported account)."""
    return person.is_active and (not person.email or person.last_login is None)


def user_set_first_password(actor: User, person: User, password: str) -> User:
    """A manager sets a password for a person who has no way to sign in yet (imported without an
    e-mail); the person must change it at their first sign-in."""
    with transaction.atomic():
        person = User.objects.select_for_update().get(pk=person.pk)
        if not may_manage_account(actor, person):
            raise TransitionError(_("You may not change this account."))
        if not may_get_first_password(person):
            raise TransitionError(
                _(
                    "This person has an e-mail address and has signed in: they reset their own "
                    "password."
                )
            )
        try:
            password_validation.validate_password(password, person)
        except ValidationError as error:
            raise TransitionError(error.messages) from None
        person.set_password(password)
        person.must_change_password = True
        person.save(update_fields=["password", "must_change_password"])
        record_transition(
            person,
            actor=actor,
            action="first_password",
            from_state=ACTIVE,
            to_state=ACTIVE,
            reason=_("First password set; to be changed at sign-in."),
        )
    return person
