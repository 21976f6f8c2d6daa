"""What the audits module puts on a person's task list (``ims.worklist``).

- audits they lead or are on the team of, until the report is issued: the lead's due date is
  the first day while the audit is planned and the report's due date once fieldwork started;
  a team member has the first and the last day (the report is the lead's);
- audit programmes waiting for their approval (a director at the programme's unit or above,
  never the programme's own manager: ``AuditProgramme.can_approve``).

One query per kind of item, whatever the number of rows.
"""

from collections.abc import Iterator
from datetime import date

from django.utils.translation import gettext_lazy as _

from ims.access import member_roles, units_visible_to
from ims.models import Role, User
from ims.notifications import register_action_kinds
from ims.worklist import WorkItem, register_kind, register_worklist

from .models import Audit, AuditProgramme, AuditTeamMember

LEAD = "audits.lead"
TEAM = "audits.team"
PROGRAMME = "audits.programme_approve"

S = Audit.Status
NOT_FINISHED = (S.PLANNED, S.PLAN_APPROVED, S.IN_PROGRESS, S.REPORTING)
BEFORE_FIELDWORK = (S.PLANNED, S.PLAN_APPROVED)

# Notifications that hand the recipient a step to take (the bell's "needs you").
ACTION_KINDS = ("audits.team", "audits.report_overdue")


def my_audits(user: User, today: date) -> Iterator[WorkItem]:
    places = (
        AuditTeamMember.objects.filter(
            user=user, audit__status__in=NOT_FINISHED, audit__kind=Audit.Kind.INTERNAL
        )
        .select_related("audit", "audit__programme__unit")
        .order_by("audit__planned_start", "audit_id")
    )
    for place in places:
        audit = place.audit
        lead = place.role == AuditTeamMember.Role.LEAD
        if audit.status in BEFORE_FIELDWORK:
            due = audit.planned_start
        else:
            due = audit.report_due if lead else audit.planned_end
        yield WorkItem(
            LEAD if lead else TEAM,
            str(audit),
            audit.get_absolute_url(),
            unit=audit.programme.unit.label,
            due=due,
            # Once fieldwork ends, the report is the lead's: the team is only informed.
            needs_you=lead or audit.status != S.REPORTING,
            overdue=None if lead or audit.status != S.REPORTING else False,
        )


def programmes_to_approve(user: User, today: date) -> Iterator[WorkItem]:
    if Role.DIRECTOR not in member_roles(user):  # no query: the menu's roles
        return
    programmes = (
        AuditProgramme.objects.filter(
            status=AuditProgramme.Status.DRAFT,
            unit__in=units_visible_to(user, {Role.DIRECTOR}),
        )
        .exclude(owner=user)
        .select_related("unit")
        .order_by("start_year", "pk")
    )
    for programme in programmes:
        yield WorkItem(
            PROGRAMME, str(programme), programme.get_absolute_url(), unit=programme.unit.label
        )


def audit_work(user: User, today: date) -> Iterator[WorkItem]:
    yield from my_audits(user, today)
    yield from programmes_to_approve(user, today)


def register() -> None:
    register_kind(LEAD, _("Audit you lead"), order=30)
    register_kind(TEAM, _("Audit you are on the team of"), order=31)
    register_kind(PROGRAMME, _("Audit programme to approve"), order=32)
    register_worklist("audits", audit_work)
    register_action_kinds(*ACTION_KINDS)
