"""Steps 5 and 6: the effectiveness check (planned, then verified: effective, or back to the
actions in a new round) and the closure, signed."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ims.models import Signature, User
from ims.notifications import notify
from ims.reminders import lazy_format
from ims.signatures import SignatureError
from ims.workflow import after_commit, lock, refuse, signed_step, transition
from nonconformities.models import CorrectiveAction, Nonconformity, Verification, unit_heads
from nonconformities.selectors import closure_problems
from nonconformities.services.text import required_text

if TYPE_CHECKING:
    from django.http import HttpRequest
    from django_stubs_ext import StrOrPromise

Status = Nonconformity.Status


def nonconformity_plan_verification(
    nc: Nonconformity, *, actor: User, verifier: User | None, planned_on: date | None
) -> Nonconformity:
    """Plan the effectiveness check: a date after the last action, by an independent person."""
    if verifier is None or not verifier.is_active:
        raise ValidationError(_("Choose an active person as the verifier."))
    if planned_on is None:
        raise ValidationError(_("Choose the date of the effectiveness check."))
    with transaction.atomic():
        nc = lock(nc, "unit")
        if not nc.can_plan_verification(actor):
            refuse(_("The effectiveness check is planned by the unit head or quality manager."))
        last_due = nc.last_action_due()
        if last_due and planned_on <= last_due:
            raise ValidationError(
                _("Plan the effectiveness check after the last action's due date (%(date)s).")
                % {"date": last_due.strftime("%d/%m/%Y")}
            )
        if verifier.pk == nc.reported_by_id or verifier.pk in nc.action_owner_ids():
            raise ValidationError(
                _("The verifier must be neither the person who opened the NC nor an action owner.")
            )
        nc.planned_verifier, nc.verification_due = verifier, planned_on
        nc.save(update_fields=["planned_verifier", "verification_due", "updated_at"])
        transition(
            nc,
            "plan_verification",
            actor=actor,
            reason=f"{verifier.display_name} · {planned_on:%d/%m/%Y}",
            checked=False,
            save=False,
        )
        if verifier.pk != actor.pk:
            after_commit(_notify_verifier, nc.pk, verifier.pk, planned_on)
    return nc


def _notify_verifier(nc_id: int, verifier_id: int, planned_on: date) -> None:
    nc = Nonconformity.objects.select_related("planned_verifier").get(pk=nc_id)
    if nc.planned_verifier_id != verifier_id:
        return  # planned again for someone else before this was sent
    notify(
        nc.planned_verifier,
        title=lazy_format(
            _("Check the effectiveness of %(number)s on %(date)s"),
            number=nc.number,
            date=planned_on.strftime("%d/%m/%Y"),
        ),
        body=nc.title,
        url=nc.get_absolute_url(),
        kind="nc_verifier_assigned",
        dedupe_key=f"nc_verifier_assigned:{nc.pk}:{verifier_id}:{planned_on.isoformat()}",
    )


def _notify_opener(nc_id: int, kind: str, title: StrOrPromise) -> None:
    """Tell the person who opened the NC how it ended (verified effective, closed)."""
    nc = Nonconformity.objects.select_related("reported_by").get(pk=nc_id)
    if not nc.reported_by.is_active:
        return
    notify(
        nc.reported_by,
        title=lazy_format(title, number=nc.number),
        body=nc.title,
        url=nc.get_absolute_url(),
        kind=kind,
        dedupe_key=f"{kind}:{nc.pk}:{nc.round}",
    )


def nonconformity_verify(
    nc: Nonconformity, *, actor: User, result: str, notes: str, early_reason: str = ""
) -> Nonconformity:
    """Step 5: effective → ready to close; not effective → back to step 4 in a new round.

    Effectiveness is checked no earlier than its planned date; before it, only with a reason
    (``early_reason``), recorded as its own step in the NC's history.
    """
    notes = required_text(notes, _("Describe how effectiveness was checked."))
    early_reason = (early_reason or "").strip()
    if result not in Nonconformity.Result.values:
        raise ValidationError(_("Choose effective or not effective."))
    with transaction.atomic():
        nc = lock(nc, "unit")
        if nc.status != Status.AWAITING_VERIFICATION:
            refuse(_("Effectiveness is verified after every corrective action is finished."))
        if actor.pk == nc.reported_by_id or actor.pk in nc.action_owner_ids():
            refuse(_("The opener and the action owners cannot verify effectiveness."))
        if not nc.can_verify(actor):
            refuse(_("Only the planned verifier, a unit head or the quality manager verifies."))
        planned_on = nc.verification_due
        if planned_on is not None and nc.is_verification_early():
            if not early_reason:
                raise ValidationError(
                    _(
                        "Effectiveness is planned to be checked on %(date)s. To verify it "
                        "earlier, give the reason."
                    )
                    % {"date": planned_on.strftime("%d/%m/%Y")}
                )
            transition(
                nc,
                "verify_early",
                actor=actor,
                reason=f"{planned_on:%d/%m/%Y} · {early_reason}",
                checked=False,
                save=False,
            )
        Verification.objects.create(
            nonconformity=nc, round=nc.round, verifier=actor, result=result, notes=notes
        )
        nc.verification_result = result
        if result == Nonconformity.Result.EFFECTIVE:
            return transition(
                nc,
                "verify",
                actor=actor,
                fields=["verification_result"],
                reason=notes,
                notify=partial(
                    _notify_opener,
                    nc.pk,
                    "nc_verified",
                    _("%(number)s: corrective actions verified effective"),
                ),
                checked=False,
            )
        nc.round += 1
        nc.completed_actions = 0
        nc.verification_due = None
        return transition(
            nc,
            "verify_not_effective",
            actor=actor,
            fields=["verification_result", "round", "completed_actions", "verification_due"],
            reason=notes,
            notify=partial(_notify_reopened, nc.pk),
            checked=False,
        )


def _notify_reopened(nc_id: int) -> None:
    nc = Nonconformity.objects.select_related("unit").get(pk=nc_id)
    for head in unit_heads(nc.unit):
        notify(
            head,
            title=lazy_format(
                _("%(number)s: actions were not effective; plan new actions"), number=nc.number
            ),
            url=nc.get_absolute_url(),
            kind="nc_reopened",
            dedupe_key=f"nc_reopened:{nc.pk}:{nc.round}:{head.pk}",
        )


def _may_close(nc: Nonconformity, actor: User) -> None:
    """Refuse, with the first thing that stands in the way, unless ``actor`` may close ``nc``."""
    if actor.pk == nc.reported_by_id:
        refuse(_("The person who opened an NC cannot close it."))
    if actor.pk in nc.action_owner_ids():
        refuse(
            _(
                "The owner of one of the NC's corrective actions cannot close it: closure "
                "needs someone independent (a unit head who took no action, or a manager "
                "above the unit)."
            )
        )
    problems = closure_problems(nc)
    if problems:
        refuse(" ".join(str(p) for p in problems))
    if not nc.can_close(actor):
        refuse(
            _(
                "Only the quality manager, the director or a unit head closes a verified NC, "
                "and never its opener or an action owner."
            )
        )


def nonconformity_close(
    nc: Nonconformity,
    *,
    actor: User,
    password: str,
    comment: str = "",
    request: HttpRequest | None = None,
) -> Nonconformity:
    """Step 6: the quality manager or a unit head closes with an electronic signature whose
    meaning is "closed".

    Separation of duties: neither the opener nor an owner of one of its actions may close it
    (``Nonconformity.can_close``); where that leaves nobody in the unit, a manager above does.
    A wrong password changes nothing (and counts as a failed sign-in); its error names the
    ``password`` field.
    """

    def close(locked: Nonconformity, signature: Signature) -> Nonconformity:
        locked.closed_by, locked.closed_at = actor, timezone.now()
        # The counter the database's closure check reads, taken again from the rows.
        locked.completed_actions = locked.actions.filter(
            round=locked.round, status=CorrectiveAction.Status.DONE
        ).count()
        return transition(
            locked,
            "close",
            actor=actor,
            fields=["closed_by", "closed_at", "completed_actions"],
            reason=comment,
            notify=partial(_notify_opener, locked.pk, "nc_closed", _("%(number)s is closed")),
            checked=False,
        )

    try:
        return signed_step(
            nc,
            actor=actor,
            password=password,
            meaning=Signature.Meaning.CLOSED,
            check=lambda locked: _may_close(locked, actor),
            apply=close,
            comment=comment,
            request=request,
            lock=lambda record: lock(record, "unit"),
        )
    except SignatureError as error:
        raise SignatureError({"password": error.messages}) from None
