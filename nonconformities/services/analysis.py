"""The first steps of the loop: containment (assigned, then recorded), the root cause, the extent
check, and revising the analysis while the actions are not yet verified."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ims.models import User
from ims.notifications import notify
from ims.reminders import lazy_format
from ims.workflow import after_commit, lock, refuse, transition
from nonconformities.models import CauseCategory, CauseEntry, Nonconformity
from nonconformities.services.text import required_text

Status = Nonconformity.Status


def nonconformity_assign_containment(
    nc: Nonconformity, *, actor: User, assignee: User | None, due: date | None
) -> Nonconformity:
    """Give the containment of an open NC to a person with a due date (it shows in their tasks).

    Assigning again hands it over: the event names both people; the new one is notified.
    """
    if assignee is None or not assignee.is_active:
        raise ValidationError(_("Choose an active person to contain the problem."))
    if due is None or due < timezone.localdate():
        raise ValidationError(_("The containment due date cannot be in the past."))
    with transaction.atomic():
        nc = lock(nc, "unit")
        if not nc.can_assign_containment(actor):
            refuse(_("The unit head or the quality manager assigns the containment of an open NC."))
        previous = nc.containment_assignee
        nc.containment_assignee, nc.containment_due = assignee, due
        nc.save(update_fields=["containment_assignee", "containment_due", "updated_at"])
        note = f"{assignee.display_name} · {due:%d/%m/%Y}"
        if previous is not None and previous.pk != assignee.pk:
            note = f"{previous.display_name} → {note}"
        transition(nc, "assign_containment", actor=actor, reason=note, checked=False, save=False)
        if assignee.pk != actor.pk:
            after_commit(_notify_containment_assigned, nc.pk, assignee.pk)
    return nc


def _notify_containment_assigned(nc_id: int, user_id: int) -> None:
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


def nonconformity_contain(
    nc: Nonconformity, *, actor: User, containment: str, contained_on: date | None = None
) -> Nonconformity:
    """Step 1: what was done at once to contain the problem and correct it, by whom, when."""
    containment = required_text(containment, _("Describe the containment and correction."))
    contained_on = contained_on or timezone.localdate()
    with transaction.atomic():
        nc = lock(nc, "unit")
        if not nc.can_contain(actor):
            refuse(_("Containment can only be recorded on an open NC by its unit."))
        if contained_on > timezone.localdate() or contained_on < nc.reported_on:
            raise ValidationError(
                _("The containment date must be between the report date and today.")
            )
        nc.containment, nc.contained_by, nc.contained_on = containment, actor, contained_on
        return transition(
            nc,
            "contain",
            actor=actor,
            fields=["containment", "contained_by", "contained_on"],
            checked=False,
        )


def nonconformity_analyse(
    nc: Nonconformity,
    *,
    actor: User,
    root_cause: str,
    whys: Iterable[str] = (),
    fishbone: Iterable[tuple[CauseCategory | None, str]] = (),
) -> Nonconformity:
    """Step 2: the root cause, from a 5-whys chain and/or fishbone causes by category.

    ``whys`` is a sequence of texts (why 1, why 2, ...); ``fishbone`` a sequence of
    ``(category, text)`` pairs. At least one of them must say something.
    """
    root_cause = required_text(root_cause, _("State the root cause."))
    whys = [w.strip() for w in whys if w and w.strip()]
    fishbone = [(c, t.strip()) for c, t in fishbone if c is not None and t and t.strip()]
    if not whys and not fishbone:
        raise ValidationError(_("Give at least one “why” or one fishbone cause."))
    if len(whys) > 5:
        raise ValidationError(_("A 5-whys chain has at most five steps."))
    with transaction.atomic():
        nc = lock(nc, "unit")
        if not nc.can_analyse(actor):
            refuse(_("The root cause is analysed after containment, by the NC's unit."))
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
        return transition(nc, "analyse", actor=actor, fields=["root_cause"], checked=False)


def nonconformity_check_extent(
    nc: Nonconformity, *, actor: User, extent_check: str, related: Iterable[Nonconformity] = ()
) -> Nonconformity:
    """Step 3: could the same occur elsewhere? Related NCs are linked both ways."""
    extent_check = required_text(
        extent_check, _("Say whether the same problem could occur elsewhere.")
    )
    with transaction.atomic():
        nc = lock(nc, "unit")
        if not nc.can_check_extent(actor):
            refuse(_("The extent check follows the root-cause analysis."))
        related = [r for r in related if r.pk != nc.pk]
        nc.extent_check = extent_check
        if related:
            nc.related.add(*related)
        return transition(nc, "check_extent", actor=actor, fields=["extent_check"], checked=False)


def nonconformity_revise_analysis(
    nc: Nonconformity,
    *,
    actor: User,
    reason: str,
    root_cause: str | None = None,
    extent_check: str | None = None,
) -> Nonconformity:
    """Correct the root cause and/or the extent check while the actions are not yet verified.

    The old and new texts stay in the record's history with ``reason``; the step is a
    ``TransitionEvent`` of its own. ``None`` leaves a text as it is.
    """
    reason = required_text(reason, _("Say why the analysis is revised."))
    with transaction.atomic():
        nc = lock(nc, "unit")
        if not nc.can_revise_analysis(actor):
            refuse(
                _(
                    "The root cause and extent can be revised by the NC's unit until the actions are verified."
                )
            )
        fields = []
        if root_cause is not None:
            root_cause = required_text(root_cause, _("State the root cause."))
            if root_cause != nc.root_cause:
                nc.root_cause = root_cause
                fields.append("root_cause")
        if extent_check is not None and nc.status != Status.ANALYSED:
            extent_check = required_text(
                extent_check, _("Say whether the same problem could occur elsewhere.")
            )
            if extent_check != nc.extent_check:
                nc.extent_check = extent_check
                fields.append("extent_check")
        if not fields:
            raise ValidationError(_("Nothing was changed."))
        return transition(
            nc, "revise_analysis", actor=actor, reason=reason, fields=fields, checked=False
        )
