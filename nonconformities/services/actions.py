"""Step 4: corrective actions. Each has an owner and a due date; the first starts the actions,
and when the round's last open one is finished the NC awaits its effectiveness check."""

from __future__ import annotations

from datetime import date
from functools import partial

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ims.files import ATTACHMENT_KINDS, check_upload
from ims.history import with_reason
from ims.models import User
from ims.notifications import notify
from ims.reminders import lazy_format
from ims.workflow import created, lock, refuse, transition
from nonconformities.models import CorrectiveAction, Nonconformity
from nonconformities.services.attachments import store_attachment
from nonconformities.services.text import required_text

Status = Nonconformity.Status


def action_add(
    nc: Nonconformity, *, actor: User, description: str, owner: User | None, due: date | None
) -> CorrectiveAction:
    """Step 4: a corrective action with an owner and a due date (the first starts step 4)."""
    description = required_text(description, _("Describe the corrective action."))
    if owner is None or not owner.is_active:
        raise ValidationError(_("Choose an active person as the action owner."))
    if due is None or due < timezone.localdate():
        raise ValidationError(_("The due date cannot be in the past."))
    with transaction.atomic():
        nc = lock(nc, "unit")
        if not nc.can_add_action(actor):
            refuse(_("Corrective actions are planned after the extent check, by the NC's unit."))
        if nc.verification_due and due > nc.verification_due:
            raise ValidationError(
                _(
                    "The effectiveness check is planned for %(date)s, before this due date. "
                    "Choose an earlier due date or plan the check later first."
                )
                % {"date": nc.verification_due.strftime("%d/%m/%Y")}
            )
        if nc.planned_verifier_id == owner.pk:
            raise ValidationError(
                _("The planned verifier cannot own an action: choose another owner.")
            )
        action = CorrectiveAction.objects.create(
            nonconformity=nc,
            round=nc.round,
            description=description,
            owner=owner,
            due=due,
            created_by=actor,
        )
        created(action, "add", actor=actor, notify=partial(_notify_action_owner, action.pk))
        if nc.status == Status.EXTENT_CHECKED:
            transition(nc, "plan_actions", actor=actor, checked=False)
    return action


def _notify_action_owner(action_id: int, redated: bool = False) -> None:
    action = CorrectiveAction.objects.select_related("nonconformity", "owner").get(pk=action_id)
    nc = action.nonconformity
    title = (
        _("Corrective action for %(number)s now due %(due)s")
        if redated
        else _("Corrective action for %(number)s, due %(due)s")
    )
    notify(
        action.owner,
        title=lazy_format(title, number=nc.number, due=action.due.strftime("%d/%m/%Y")),
        body=action.description,
        url=nc.get_absolute_url(),
        kind="nc_action_assigned",
        # One notice per owner and due date: a hand-over or a new date is news, a retry is not.
        dedupe_key=f"nc_action_assigned:{action.pk}:{action.owner_id}:{action.due:%Y%m%d}",
    )


def _lock_action(action: CorrectiveAction, *related: str) -> tuple[Nonconformity, CorrectiveAction]:
    """The action's NC, then the action, under row locks (always in that order)."""
    nc = lock(action.nonconformity, "unit")
    action = lock(action, *related)
    action.nonconformity = nc
    return nc, action


def _ready_for_verification(nc: Nonconformity, *, actor: User) -> None:
    """Move to verification when every action of this round is finished and one is done."""
    current = nc.actions.filter(round=nc.round)
    if current.filter(status=CorrectiveAction.Status.OPEN).exists():
        return
    if not current.filter(status=CorrectiveAction.Status.DONE).exists():
        return
    transition(nc, "actions_done", actor=actor)


def action_complete(
    action: CorrectiveAction,
    *,
    actor: User,
    evidence: str,
    upload: UploadedFile | None = None,
) -> CorrectiveAction:
    """The owner completes their action with evidence (text, and optionally a file)."""
    evidence = required_text(evidence, _("Describe the evidence that the action was done."))
    checked = check_upload(upload, kinds=ATTACHMENT_KINDS) if upload is not None else None
    with transaction.atomic():
        nc, action = _lock_action(action)
        if not action.can_complete(actor):
            refuse(_("Only the action's owner can complete an open action."))
        action.evidence = evidence
        action.completed_at = timezone.now()
        transition(
            action, "complete", actor=actor, fields=["evidence", "completed_at"], checked=False
        )
        if upload is not None and checked is not None:
            store_attachment(nc, actor=actor, upload=upload, checked=checked, action=action)
        nc.completed_actions = nc.actions.filter(
            round=nc.round, status=CorrectiveAction.Status.DONE
        ).count()
        nc.save(update_fields=["completed_actions", "updated_at"])
        _ready_for_verification(nc, actor=actor)
    return action


def action_cancel(action: CorrectiveAction, *, actor: User, reason: str) -> CorrectiveAction:
    reason = required_text(reason, _("Give the reason for cancelling the action."))
    with transaction.atomic():
        nc, action = _lock_action(action)
        if not action.can_cancel(actor):
            refuse(_("Only the unit head or the quality manager cancels an open action."))
        transition(action, "cancel", actor=actor, reason=reason, checked=False)
        _ready_for_verification(nc, actor=actor)
    return action


def action_redate(
    action: CorrectiveAction, *, actor: User, due: date | None, reason: str
) -> CorrectiveAction:
    """Move an open action's due date, with a reason. Moving it later counts as an extension
    (the register shows "extended ×n" and the original date)."""
    reason = required_text(reason, _("Give the reason for changing the due date."))
    if due is None or due < timezone.localdate():
        raise ValidationError(_("The due date cannot be in the past."))
    with transaction.atomic():
        nc, action = _lock_action(action, "owner")
        if not action.can_redate(actor):
            refuse(
                _("Only the unit head or the quality manager changes an open action's due date.")
            )
        if due == action.due:
            raise ValidationError(_("The new due date is the same as the current one."))
        if nc.verification_due and due > nc.verification_due:
            raise ValidationError(
                _(
                    "The effectiveness check is planned for %(date)s, before this due date. "
                    "Choose an earlier due date or plan the check later first."
                )
                % {"date": nc.verification_due.strftime("%d/%m/%Y")}
            )
        old = action.due
        if action.original_due is None:
            action.original_due = old
        if due > old:
            action.extensions += 1
        action.due = due
        # The record's history keeps the person's reason; the event says what moved.
        with_reason(action, reason).save(update_fields=["due", "original_due", "extensions"])
        transition(
            action,
            "redate",
            actor=actor,
            reason=f"{old:%d/%m/%Y} → {due:%d/%m/%Y} · {reason}",
            notify=partial(_notify_action_owner, action.pk, redated=True),
            checked=False,
            save=False,
        )
    return action


def action_reassign(
    action: CorrectiveAction, *, actor: User, owner: User | None, reason: str
) -> CorrectiveAction:
    """Hand an open action to another person, with a reason; the new owner is notified."""
    reason = required_text(reason, _("Give the reason for handing the action over."))
    if owner is None or not owner.is_active:
        raise ValidationError(_("Choose an active person as the action owner."))
    with transaction.atomic():
        nc, action = _lock_action(action, "owner")
        if not action.can_reassign(actor):
            refuse(_("Only the unit head or the quality manager hands an open action over."))
        if owner.pk == action.owner_id:
            raise ValidationError(_("This person already owns the action."))
        if nc.planned_verifier_id == owner.pk:
            raise ValidationError(
                _("The planned verifier cannot own an action: choose another owner.")
            )
        previous = action.owner
        action.owner = owner
        with_reason(action, reason).save(update_fields=["owner"])
        transition(
            action,
            "reassign",
            actor=actor,
            reason=f"{previous.display_name} → {owner.display_name} · {reason}",
            notify=partial(_notify_action_owner, action.pk),
            checked=False,
            save=False,
        )
    return action
