"""Every write to a nonconformity: one function per step of the loop, each atomic.

``nonconformity_raise`` is the seam other modules use (audits, surveys): they pass the object the
NC comes from as ``source_object`` and this app stores only a generic reference to it.
"""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ims.files import ATTACHMENT_KINDS, check_upload
from ims.history import with_reason
from ims.models import Signature
from ims.notifications import notify
from ims.reminders import lazy_format
from ims.signatures import SignatureError, sign
from ims.transitions import TransitionError, record_transition
from nonconformities.models import (
    Attachment,
    CauseEntry,
    CorrectiveAction,
    Nonconformity,
    NumberSequence,
    Verification,
    unit_heads,
)

Status = Nonconformity.Status


def _next_number(year):
    """Take the next number of ``year`` under a row lock: unique and without gaps.

    The sequence row is created on first use (a savepoint absorbs a concurrent creation); the
    caller's transaction holds the lock until it commits, so a rolled-back NC frees its number.
    """
    if not NumberSequence.objects.filter(year=year).exists():
        try:
            with transaction.atomic():
                NumberSequence.objects.create(year=year, last=0)
        except IntegrityError:
            pass
    sequence = NumberSequence.objects.select_for_update().get(year=year)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return sequence.last


def _source_reference(source_object):
    if source_object is None:
        return None, None
    if source_object.pk is None:
        raise ValueError("source_object must be saved before an NC is raised from it")
    content_type = ContentType.objects.get_for_model(source_object, for_concrete_model=False)
    return content_type, str(source_object.pk)


def nonconformity_raise(
    *,
    actor,
    unit,
    title,
    description,
    source,
    severity=None,
    kind=None,
    source_object=None,
    clauses=(),
    due=None,
    reported_on=None,
):
    """Open a nonconformity (or opportunity for improvement) and return it.

    ``reported_on`` (default today) is the date the problem was reported, e.g. the date of an
    external audit recorded later; it picks the year the NC is numbered in.

    Idempotent per ``source_object``: raising again from the same object returns the NC already
    raised from it, also when two calls race (the unique constraint decides, the loser reads the
    winner's row). Records a ``TransitionEvent`` and notifies the unit head after commit.
    """
    if source not in Nonconformity.Source.values:
        raise ValueError(f"Unknown nonconformity source: {source!r}")
    severity = severity or Nonconformity.Severity.MINOR
    if severity not in Nonconformity.Severity.values:
        raise ValueError(f"Unknown severity: {severity!r}")
    kind = kind or Nonconformity.Kind.NONCONFORMITY
    if kind not in Nonconformity.Kind.values:
        raise ValueError(f"Unknown kind: {kind!r}")
    today = timezone.localdate()
    reported_on = reported_on or today
    if reported_on > today:
        raise ValidationError(_("The report date cannot be in the future."))
    content_type, object_id = _source_reference(source_object)
    if content_type is not None:
        existing = _raised_from(content_type, object_id)
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            nc = _create(
                actor=actor,
                unit=unit,
                title=title,
                description=description,
                source=source,
                severity=severity,
                kind=kind,
                content_type=content_type,
                object_id=object_id,
                clauses=clauses,
                due=due,
                reported_on=reported_on,
            )
    except IntegrityError:
        if content_type is not None:
            existing = _raised_from(content_type, object_id)
            if existing is not None:
                return existing
        raise
    return nc


def _raised_from(content_type, object_id):
    return Nonconformity.objects.filter(
        source_content_type=content_type, source_object_id=object_id
    ).first()


def _create(
    *,
    actor,
    unit,
    title,
    description,
    source,
    severity,
    kind,
    content_type,
    object_id,
    clauses,
    due,
    reported_on,
):
    year = reported_on.year
    sequence = _next_number(year)
    nc = Nonconformity(
        number=f"NC-{year}-{sequence:04d}",
        year=year,
        sequence=sequence,
        unit=unit,
        title=str(title)[:255],
        description=description,
        source=source,
        severity=severity,
        kind=kind,
        source_content_type=content_type,
        source_object_id=object_id,
        reported_by=actor,
        reported_on=reported_on,
        due=due,
    )
    nc.save()
    if clauses:
        nc.clauses.set(clauses)
        repeat = nc.find_repeat_of()
        if repeat is not None:
            nc.repeat_of = repeat
            nc.save(update_fields=["repeat_of"])
    record_transition(
        nc, actor=actor, action="raise", from_state="", to_state=Nonconformity.Status.OPEN
    )
    transaction.on_commit(lambda: _notify_raised(nc.pk))
    return nc


def _notify_raised(nc_id):
    nc = Nonconformity.objects.select_related("unit", "reported_by").filter(pk=nc_id).first()
    if nc is None:
        return
    for head in unit_heads(nc.unit):
        if head.pk == nc.reported_by_id:
            continue
        notify(
            head,
            title=lazy_format(
                _("New nonconformity %(number)s: %(title)s"), number=nc.number, title=nc.title
            ),
            body=lazy_format(_("Unit: %(unit)s"), unit=nc.unit.name),
            url=nc.get_absolute_url(),
            kind="nc_raised",
            dedupe_key=f"nc_raised:{nc.pk}:{head.pk}",
        )


# --- the loop ---------------------------------------------------------------------------------


def _lock(nc):
    return Nonconformity.objects.select_for_update().select_related("unit").get(pk=nc.pk)


def _refuse(message):
    raise TransitionError(message)


def _require_text(value, message):
    value = (value or "").strip()
    if not value:
        raise ValidationError(message)
    return value


def _move(nc, *, actor, action, to_state, fields=(), reason=""):
    from_state = nc.status
    nc.status = to_state
    with_reason(nc, reason).save(update_fields=["status", "updated_at", *fields])
    record_transition(
        nc, actor=actor, action=action, from_state=from_state, to_state=to_state, reason=reason
    )


def nonconformity_assign_containment(nc, *, actor, assignee, due):
    """Give the containment of an open NC to a person with a due date (it shows in their tasks).

    Assigning again hands it over: the event names both people; the new one is notified.
    """
    if assignee is None or not assignee.is_active:
        raise ValidationError(_("Choose an active person to contain the problem."))
    if due is None or due < timezone.localdate():
        raise ValidationError(_("The containment due date cannot be in the past."))
    with transaction.atomic():
        nc = _lock(nc)
        if not nc.can_assign_containment(actor):
            _refuse(
                _("The unit head or the quality manager assigns the containment of an open NC.")
            )
        previous = nc.containment_assignee
        nc.containment_assignee, nc.containment_due = assignee, due
        nc.save(update_fields=["containment_assignee", "containment_due", "updated_at"])
        note = f"{assignee.display_name} · {due:%d/%m/%Y}"
        if previous is not None and previous.pk != assignee.pk:
            note = f"{previous.display_name} → {note}"
        record_transition(
            nc,
            actor=actor,
            action="assign_containment",
            from_state=nc.status,
            to_state=nc.status,
            reason=note,
        )
        if assignee.pk != actor.pk:
            transaction.on_commit(lambda: _notify_containment_assigned(nc.pk, assignee.pk))
    return nc


def _notify_containment_assigned(nc_id, user_id):
    nc = Nonconformity.objects.select_related("containment_assignee").filter(pk=nc_id).first()
    if nc is None or nc.containment_assignee_id != user_id or nc.status != Status.OPEN:
        return
    notify(
        nc.containment_assignee,
        title=lazy_format(
            _("Contain %(number)s by %(due)s: %(title)s"),
            number=nc.number,
            due=nc.containment_due.strftime("%d/%m/%Y"),
            title=nc.title,
        ),
        url=nc.get_absolute_url() + "#step-containment",
        kind="nc_containment_assigned",
        dedupe_key=f"nc_containment_assigned:{nc.pk}:{user_id}:{nc.containment_due:%Y%m%d}",
    )


def nonconformity_contain(nc, *, actor, containment, contained_on=None):
    """Step 1: what was done at once to contain the problem and correct it, by whom, when."""
    containment = _require_text(containment, _("Describe the containment and correction."))
    contained_on = contained_on or timezone.localdate()
    with transaction.atomic():
        nc = _lock(nc)
        if not nc.can_contain(actor):
            _refuse(_("Containment can only be recorded on an open NC by its unit."))
        if contained_on > timezone.localdate() or contained_on < nc.reported_on:
            raise ValidationError(
                _("The containment date must be between the report date and today.")
            )
        nc.containment, nc.contained_by, nc.contained_on = containment, actor, contained_on
        _move(
            nc,
            actor=actor,
            action="contain",
            to_state=Status.CONTAINED,
            fields=["containment", "contained_by", "contained_on"],
        )
    return nc


def nonconformity_analyse(nc, *, actor, root_cause, whys=(), fishbone=()):
    """Step 2: the root cause, from a 5-whys chain and/or fishbone causes by category.

    ``whys`` is a sequence of texts (why 1, why 2, ...); ``fishbone`` a sequence of
    ``(category, text)`` pairs. At least one of them must say something.
    """
    root_cause = _require_text(root_cause, _("State the root cause."))
    whys = [w.strip() for w in whys if w and w.strip()]
    fishbone = [(c, t.strip()) for c, t in fishbone if c is not None and t and t.strip()]
    if not whys and not fishbone:
        raise ValidationError(_("Give at least one “why” or one fishbone cause."))
    if len(whys) > 5:
        raise ValidationError(_("A 5-whys chain has at most five steps."))
    with transaction.atomic():
        nc = _lock(nc)
        if not nc.can_analyse(actor):
            _refuse(_("The root cause is analysed after containment, by the NC's unit."))
        nc.causes.all().delete()
        CauseEntry.objects.bulk_create(
            [
                CauseEntry(nonconformity=nc, method=CauseEntry.Method.WHY, position=i, text=t)
                for i, t in enumerate(whys, start=1)
            ]
            + [
                CauseEntry(
                    nonconformity=nc,
                    method=CauseEntry.Method.FISHBONE,
                    position=i,
                    category=category,
                    text=text,
                )
                for i, (category, text) in enumerate(fishbone, start=1)
            ]
        )
        nc.root_cause = root_cause
        _move(nc, actor=actor, action="analyse", to_state=Status.ANALYSED, fields=["root_cause"])
    return nc


def nonconformity_check_extent(nc, *, actor, extent_check, related=()):
    """Step 3: could the same occur elsewhere? Related NCs are linked both ways."""
    extent_check = _require_text(
        extent_check, _("Say whether the same problem could occur elsewhere.")
    )
    with transaction.atomic():
        nc = _lock(nc)
        if not nc.can_check_extent(actor):
            _refuse(_("The extent check follows the root-cause analysis."))
        related = [r for r in related if r.pk != nc.pk]
        nc.extent_check = extent_check
        if related:
            nc.related.add(*related)
        _move(
            nc,
            actor=actor,
            action="check_extent",
            to_state=Status.EXTENT_CHECKED,
            fields=["extent_check"],
        )
    return nc


def nonconformity_revise_analysis(nc, *, actor, reason, root_cause=None, extent_check=None):
    """Correct the root cause and/or the extent check while the actions are not yet verified.

    The old and new texts stay in the record's history with ``reason``; the step is a
    ``TransitionEvent`` of its own. ``None`` leaves a text as it is.
    """
    reason = _require_text(reason, _("Say why the analysis is revised."))
    with transaction.atomic():
        nc = _lock(nc)
        if not nc.can_revise_analysis(actor):
            _refuse(
                _(
                    "The root cause and extent can be revised by the NC's unit until the actions are verified."
                )
            )
        fields = []
        if root_cause is not None:
            root_cause = _require_text(root_cause, _("State the root cause."))
            if root_cause != nc.root_cause:
                nc.root_cause = root_cause
                fields.append("root_cause")
        if extent_check is not None and nc.status != Status.ANALYSED:
            extent_check = _require_text(
                extent_check, _("Say whether the same problem could occur elsewhere.")
            )
            if extent_check != nc.extent_check:
                nc.extent_check = extent_check
                fields.append("extent_check")
        if not fields:
            raise ValidationError(_("Nothing was changed."))
        with_reason(nc, reason).save(update_fields=[*fields, "updated_at"])
        record_transition(
            nc,
            actor=actor,
            action="revise_analysis",
            from_state=nc.status,
            to_state=nc.status,
            reason=reason,
        )
    return nc


def action_add(nc, *, actor, description, owner, due):
    """Step 4: a corrective action with an owner and a due date (the first starts step 4)."""
    description = _require_text(description, _("Describe the corrective action."))
    if owner is None or not owner.is_active:
        raise ValidationError(_("Choose an active person as the action owner."))
    if due is None or due < timezone.localdate():
        raise ValidationError(_("The due date cannot be in the past."))
    with transaction.atomic():
        nc = _lock(nc)
        if not nc.can_add_action(actor):
            _refuse(_("Corrective actions are planned after the extent check, by the NC's unit."))
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
        record_transition(action, actor=actor, action="add", from_state="", to_state=action.status)
        if nc.status == Status.EXTENT_CHECKED:
            _move(nc, actor=actor, action="plan_actions", to_state=Status.IN_ACTION)
        transaction.on_commit(lambda: _notify_action_owner(action.pk))
    return action


def _notify_action_owner(action_id, redated=False):
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


def _ready_for_verification(nc, *, actor):
    """Move to verification when every action of this round is finished and one is done."""
    current = nc.actions.filter(round=nc.round)
    if current.filter(status=CorrectiveAction.Status.OPEN).exists():
        return
    if not current.filter(status=CorrectiveAction.Status.DONE).exists():
        return
    _move(nc, actor=actor, action="actions_done", to_state=Status.AWAITING_VERIFICATION)


def action_complete(action, *, actor, evidence, upload=None):
    """The owner completes their action with evidence (text, and optionally a file)."""
    evidence = _require_text(evidence, _("Describe the evidence that the action was done."))
    checked = check_upload(upload, kinds=ATTACHMENT_KINDS) if upload is not None else None
    with transaction.atomic():
        nc = _lock(action.nonconformity)
        action = CorrectiveAction.objects.select_for_update().get(pk=action.pk)
        action.nonconformity = nc
        if not action.can_complete(actor):
            _refuse(_("Only the action's owner can complete an open action."))
        action.status = CorrectiveAction.Status.DONE
        action.evidence = evidence
        action.completed_at = timezone.now()
        action.save(update_fields=["status", "evidence", "completed_at"])
        record_transition(
            action,
            actor=actor,
            action="complete",
            from_state=CorrectiveAction.Status.OPEN,
            to_state=action.status,
        )
        if checked is not None:
            _store_attachment(nc, actor=actor, upload=upload, checked=checked, action=action)
        nc.completed_actions = nc.actions.filter(
            round=nc.round, status=CorrectiveAction.Status.DONE
        ).count()
        nc.save(update_fields=["completed_actions", "updated_at"])
        _ready_for_verification(nc, actor=actor)
    return action


def action_cancel(action, *, actor, reason):
    reason = _require_text(reason, _("Give the reason for cancelling the action."))
    with transaction.atomic():
        nc = _lock(action.nonconformity)
        action = CorrectiveAction.objects.select_for_update().get(pk=action.pk)
        action.nonconformity = nc
        if not action.can_cancel(actor):
            _refuse(_("Only the unit head or the quality manager cancels an open action."))
        action.status = CorrectiveAction.Status.CANCELLED
        with_reason(action, reason).save(update_fields=["status"])
        record_transition(
            action,
            actor=actor,
            action="cancel",
            from_state=CorrectiveAction.Status.OPEN,
            to_state=action.status,
            reason=reason,
        )
        _ready_for_verification(nc, actor=actor)
    return action


def _lock_action(action, actor, *, message):
    nc = _lock(action.nonconformity)
    action = CorrectiveAction.objects.select_for_update().select_related("owner").get(pk=action.pk)
    action.nonconformity = nc
    if not action.can_redate(actor):
        _refuse(message)
    return nc, action


def action_redate(action, *, actor, due, reason):
    """Move an open action's due date, with a reason. Moving it later counts as an extension
    (the register shows "extended ×n" and the original date)."""
    reason = _require_text(reason, _("Give the reason for changing the due date."))
    if due is None or due < timezone.localdate():
        raise ValidationError(_("The due date cannot be in the past."))
    with transaction.atomic():
        nc, action = _lock_action(
            action,
            actor,
            message=_(
                "Only the unit head or the quality manager changes an open action's due date."
            ),
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
        with_reason(action, reason).save(update_fields=["due", "original_due", "extensions"])
        record_transition(
            action,
            actor=actor,
            action="redate",
            from_state=action.status,
            to_state=action.status,
            reason=f"{old:%d/%m/%Y} → {due:%d/%m/%Y} · {reason}",
        )
        transaction.on_commit(lambda: _notify_action_owner(action.pk, redated=True))
    return action


def action_reassign(action, *, actor, owner, reason):
    """Hand an open action to another person, with a reason; the new owner is notified."""
    reason = _require_text(reason, _("Give the reason for handing the action over."))
    if owner is None or not owner.is_active:
        raise ValidationError(_("Choose an active person as the action owner."))
    with transaction.atomic():
        nc, action = _lock_action(
            action,
            actor,
            message=_("Only the unit head or the quality manager hands an open action over."),
        )
        if owner.pk == action.owner_id:
            raise ValidationError(_("This person already owns the action."))
        if nc.planned_verifier_id == owner.pk:
            raise ValidationError(
                _("The planned verifier cannot own an action: choose another owner.")
            )
        previous = action.owner
        action.owner = owner
        with_reason(action, reason).save(update_fields=["owner"])
        record_transition(
            action,
            actor=actor,
            action="reassign",
            from_state=action.status,
            to_state=action.status,
            reason=f"{previous.display_name} → {owner.display_name} · {reason}",
        )
        transaction.on_commit(lambda: _notify_action_owner(action.pk))
    return action


def nonconformity_plan_verification(nc, *, actor, verifier, planned_on):
    """Plan the effectiveness check: a date after the last action, by an independent person."""
    if verifier is None or not verifier.is_active:
        raise ValidationError(_("Choose an active person as the verifier."))
    if planned_on is None:
        raise ValidationError(_("Choose the date of the effectiveness check."))
    with transaction.atomic():
        nc = _lock(nc)
        if not nc.can_plan_verification(actor):
            _refuse(_("The effectiveness check is planned by the unit head or quality manager."))
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
        record_transition(
            nc,
            actor=actor,
            action="plan_verification",
            from_state=nc.status,
            to_state=nc.status,
            reason=f"{verifier.display_name} · {planned_on:%d/%m/%Y}",
        )
        if verifier.pk != actor.pk:
            transaction.on_commit(lambda: _notify_verifier(nc.pk, verifier.pk, planned_on))
    return nc


def _notify_verifier(nc_id, verifier_id, planned_on):
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


def _notify_opener(nc_id, kind, title):
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


def nonconformity_verify(nc, *, actor, result, notes, early_reason=""):
    """Step 5: effective → ready to close; not effective → back to step 4 in a new round.

    Effectiveness is checked no earlier than its planned date; before it, only with a reason
    (``early_reason``), recorded as its own step in the NC's history.
    """
    notes = _require_text(notes, _("Describe how effectiveness was checked."))
    early_reason = (early_reason or "").strip()
    if result not in Nonconformity.Result.values:
        raise ValidationError(_("Choose effective or not effective."))
    with transaction.atomic():
        nc = _lock(nc)
        if nc.status != Status.AWAITING_VERIFICATION:
            _refuse(_("Effectiveness is verified after every corrective action is finished."))
        if actor.pk == nc.reported_by_id or actor.pk in nc.action_owner_ids():
            _refuse(_("The opener and the action owners cannot verify effectiveness."))
        if not nc.can_verify(actor):
            _refuse(_("Only the planned verifier, a unit head or the quality manager verifies."))
        if nc.is_verification_early():
            if not early_reason:
                raise ValidationError(
                    _(
                        "Effectiveness is planned to be checked on %(date)s. To verify it "
                        "earlier, give the reason."
                    )
                    % {"date": nc.verification_due.strftime("%d/%m/%Y")}
                )
            record_transition(
                nc,
                actor=actor,
                action="verify_early",
                from_state=nc.status,
                to_state=nc.status,
                reason=f"{nc.verification_due:%d/%m/%Y} · {early_reason}",
            )
        Verification.objects.create(
            nonconformity=nc, round=nc.round, verifier=actor, result=result, notes=notes
        )
        nc.verification_result = result
        if result == Nonconformity.Result.EFFECTIVE:
            _move(
                nc,
                actor=actor,
                action="verify",
                to_state=Status.VERIFIED,
                fields=["verification_result"],
                reason=notes,
            )
            transaction.on_commit(
                lambda: _notify_opener(
                    nc.pk, "nc_verified", _("%(number)s: corrective actions verified effective")
                )
            )
        else:
            nc.round += 1
            nc.completed_actions = 0
            nc.verification_due = None
            _move(
                nc,
                actor=actor,
                action="verify_not_effective",
                to_state=Status.IN_ACTION,
                fields=["verification_result", "round", "completed_actions", "verification_due"],
                reason=notes,
            )
            transaction.on_commit(lambda: _notify_reopened(nc.pk))
    return nc


def _notify_reopened(nc_id):
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


def closure_problems(nc):
    """What still stands between ``nc`` and closure (empty when it may close).

    Read from the actions and verifications themselves, not from the counters copied onto
    the NC: every action finished, one completed in this round, and this round's
    verification on record as effective.
    """
    problems = []
    if not nc.root_cause.strip():
        problems.append(_("There is no root cause."))
    actions = CorrectiveAction.objects.filter(nonconformity=nc)
    still_open = actions.filter(status=CorrectiveAction.Status.OPEN).count()
    if still_open:
        problems.append(
            ngettext(
                "%(n)d corrective action is still open.",
                "%(n)d corrective actions are still open.",
                still_open,
            )
            % {"n": still_open}
        )
    if not actions.filter(round=nc.round, status=CorrectiveAction.Status.DONE).exists():
        problems.append(_("No corrective action has been completed."))
    effective = Verification.objects.filter(
        nonconformity=nc, round=nc.round, result=Nonconformity.Result.EFFECTIVE
    ).exists()
    if not effective or nc.verification_result != Nonconformity.Result.EFFECTIVE:
        problems.append(_("The actions have not been verified as effective."))
    return problems


def nonconformity_close(nc, *, actor, password, comment="", request=None):
    """Step 6: the quality manager or a unit head closes with an electronic signature whose
    meaning is "closed".

    Separation of duties: neither the opener nor an owner of one of its actions may close it
    (``Nonconformity.can_close``); where that leaves nobody in the unit, a manager above does.
    A wrong password changes nothing (and counts as a failed sign-in).
    """
    failure = None
    with transaction.atomic():
        nc = _lock(nc)
        if actor.pk == nc.reported_by_id:
            _refuse(_("The person who opened an NC cannot close it."))
        if actor.pk in nc.action_owner_ids():
            _refuse(
                _(
                    "The owner of one of the NC's corrective actions cannot close it: closure "
                    "needs someone independent (a unit head who took no action, or a manager "
                    "above the unit)."
                )
            )
        problems = closure_problems(nc)
        if problems:
            _refuse(" ".join(str(p) for p in problems))
        if not nc.can_close(actor):
            _refuse(
                _(
                    "Only the quality manager, the director or a unit head closes a verified NC, "
                    "and never its opener or an action owner."
                )
            )
        try:
            sign(
                nc,
                signer=actor,
                password=password,
                meaning=Signature.Meaning.CLOSED,
                comment=comment,
                request=request,
            )
        except SignatureError as error:
            failure = error  # the failed attempt is recorded; nothing else changes
        else:
            nc.closed_by, nc.closed_at = actor, timezone.now()
            # The counter the database's closure check reads, taken again from the rows.
            nc.completed_actions = nc.actions.filter(
                round=nc.round, status=CorrectiveAction.Status.DONE
            ).count()
            _move(
                nc,
                actor=actor,
                action="close",
                to_state=Status.CLOSED,
                fields=["closed_by", "closed_at", "completed_actions"],
                reason=comment,
            )
            transaction.on_commit(
                lambda: _notify_opener(nc.pk, "nc_closed", _("%(number)s is closed"))
            )
    if failure is not None:
        raise failure
    return nc


# --- attachments ------------------------------------------------------------------------------


def _store_attachment(nc, *, actor, upload, checked, action=None):
    attachment = Attachment(
        nonconformity=nc,
        action=action,
        name=checked.name,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=actor,
    )
    attachment.file.save(checked.name, upload, save=False)
    attachment.save()
    return attachment


def attachment_add(nc, *, actor, upload):
    """Attach a file to an NC (same rules as documents: type from content, size, SHA-256)."""
    checked = check_upload(upload, kinds=ATTACHMENT_KINDS)
    with transaction.atomic():
        nc = _lock(nc)
        if not nc.can_attach(actor):
            _refuse(_("You cannot add files to this NC."))
        return _store_attachment(nc, actor=actor, upload=upload, checked=checked)
