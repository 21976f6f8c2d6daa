"""State changes of user accounts: deactivate and reactivate (accounts are never deleted)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ims.access import may_manage_account
from ims.history import with_reason
from ims.models import User
from ims.transitions import TransitionError, record_transition

ACTIVE, DEACTIVATED = User.Status.ACTIVE, User.Status.DEACTIVATED


def _change(actor, person, *, active, reason):
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


def user_deactivate(actor, person, reason):
    """The person can no longer sign in or sign; their records and signatures stay."""
    return _change(actor, person, active=False, reason=reason)


def user_reactivate(actor, person, reason):
    return _change(actor, person, active=True, reason=reason)
