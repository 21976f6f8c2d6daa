"""What the nonconformities module puts on a person's task list (``ims.worklist``).

- NCs whose containment was assigned to them, due on the date set (any role, any unit);
- NCs of units they head (unit head or principal, at the unit or above it) waiting for the
  next step of the loop: containment, root cause, extent check, corrective actions;
- corrective actions they own (the register's "your actions");
- effectiveness checks planned for them (the register's "to verify");
- verified NCs they may close (quality manager or a head of the unit), never their own.

Three queries at most, whatever the number of rows.
"""

from collections.abc import Iterator
from datetime import date

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from ims.access import HEAD_ROLES, member_roles, units_visible_to
from ims.models import Role, User
from ims.notifications import register_action_kinds
from ims.worklist import WorkItem, register_kind, register_worklist

from .models import CorrectiveAction, Nonconformity
from .reminders import KINDS as REMINDER_KINDS
from .selectors import open_actions_of, verifications_of

S = Nonconformity.Status
CONTAIN = "nonconformities.contain"
CONTAIN_ASSIGNED = "nonconformities.contain_assigned"
ANALYSE = "nonconformities.analyse"
PLAN = "nonconformities.plan"
ACTION = "nonconformities.action"
VERIFY = "nonconformities.verify"
CLOSE = "nonconformities.close"

STEP_KINDS = {
    S.OPEN: CONTAIN,
    S.CONTAINED: ANALYSE,
    S.ANALYSED: PLAN,
    S.EXTENT_CHECKED: PLAN,
}
CLOSER_ROLES = HEAD_ROLES | {Role.QUALITY_MANAGER}

# Notifications that hand the recipient a step to take (the bell's "needs you").
ACTION_KINDS = (
    "nc_raised",
    "nc_action_assigned",
    "nc_reopened",
    "nc_verifier_assigned",
    *REMINDER_KINDS,
)


def _title(nc: Nonconformity) -> str:
    return f"{nc.number} {nc.title}"


def steps_and_closures(user: User, today: date) -> Iterator[WorkItem]:
    """One query: open NCs whose containment was assigned to her, NCs of units she heads at a
    step of the loop, and verified NCs she may close (``Nonconformity.can_close``: a head or
    the quality manager, never the opener nor an owner of one of its actions)."""
    roles = member_roles(user)  # no query: the menu's roles; skips what cannot apply
    condition = Q(status=S.OPEN, containment_assignee=user)
    if roles & HEAD_ROLES:
        condition |= Q(status__in=list(STEP_KINDS), unit__in=units_visible_to(user, HEAD_ROLES))
    if roles & CLOSER_ROLES:
        # ``Nonconformity.closure_conflict_ids``: never the opener nor an action owner.
        owned = Exists(CorrectiveAction.objects.filter(nonconformity=OuterRef("pk"), owner=user))
        condition |= (
            Q(status=S.VERIFIED, unit__in=units_visible_to(user, CLOSER_ROLES))
            & ~Q(reported_by=user)
            & Q(~owned)
        )
    ncs = (
        Nonconformity.objects.filter(condition).select_related("unit").order_by("reported_on", "pk")
    )
    for nc in ncs:
        if nc.status == S.OPEN and nc.containment_assignee_id == user.pk:
            yield WorkItem(
                CONTAIN_ASSIGNED,
                _title(nc),
                f"{nc.get_absolute_url()}#step-containment",
                unit=nc.unit.label,
                due=nc.containment_due,
            )
            continue
        kind = CLOSE if nc.status == S.VERIFIED else STEP_KINDS[nc.status]
        due = (nc.containment_due or nc.due) if nc.status == S.OPEN else nc.due
        yield WorkItem(kind, _title(nc), nc.get_absolute_url(), unit=nc.unit.label, due=due)


def my_actions(user: User, today: date) -> Iterator[WorkItem]:
    for action in open_actions_of(user):
        nc = action.nonconformity
        yield WorkItem(
            ACTION,
            f"{nc.number}: {action.description[:120]}",
            nc.get_absolute_url(),
            unit=nc.unit.label,
            due=action.due,
        )


def my_verifications(user: User, today: date) -> Iterator[WorkItem]:
    for nc in verifications_of(user):
        yield WorkItem(
            VERIFY, _title(nc), nc.get_absolute_url(), unit=nc.unit.label, due=nc.verification_due
        )


def nonconformity_work(user: User, today: date) -> Iterator[WorkItem]:
    yield from steps_and_closures(user, today)
    yield from my_actions(user, today)
    yield from my_verifications(user, today)


def register() -> None:
    register_kind(CONTAIN_ASSIGNED, _("Containment assigned to you"), order=19)
    register_kind(CONTAIN, _("NC awaiting containment"), order=20)
    register_kind(ANALYSE, _("NC awaiting root cause"), order=21)
    register_kind(PLAN, _("NC awaiting extent check or actions"), order=22)
    register_kind(ACTION, _("Corrective action you own"), order=23)
    register_kind(VERIFY, _("Effectiveness check assigned to you"), order=24)
    register_kind(CLOSE, _("Verified NC to close"), order=25)
    register_worklist("nonconformities", nonconformity_work)
    register_action_kinds(*ACTION_KINDS)
