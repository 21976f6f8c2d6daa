"""Audit reminders for the core's daily pass (issue 7).

- team and auditees: an audit starts in 7 days, and again the day before;
- lead auditor: the report is overdue (every day until it is issued).
The core deduplicates each reminder by kind, audit, recipient and day.
"""

from datetime import timedelta

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from audits.models import Audit, AuditTeamMember
from ims.reminders import Reminder, lazy_format

START_NOTICE_DAYS = (7, 1)


def audit_reminders(today):
    team = Prefetch("team", queryset=AuditTeamMember.objects.select_related("user"))
    starting = {today + timedelta(days=days): days for days in START_NOTICE_DAYS}
    audits = (
        Audit.objects.filter(
            planned_start__in=list(starting),
            status__in=[Audit.Status.PLANNED, Audit.Status.PLAN_APPROVED],
        )
        .prefetch_related(team, "auditees")
        .order_by("pk")
    )
    for audit in audits:
        days = starting[audit.planned_start]
        title = lazy_format(
            _("Audit %(code)s starts in %(days)s day(s), on %(date)s: %(title)s"),
            code=audit.code,
            days=days,
            date=audit.planned_start.strftime("%d/%m/%Y"),
            title=audit.title,
        )
        body = lazy_format(_("Places: %(places)s"), places=audit.places or "—")
        recipients = {m.user.pk: m.user for m in audit.team.all()}
        recipients.update({u.pk: u for u in audit.auditees.all()})
        for user in recipients.values():
            yield Reminder(
                user,
                f"audits.starting_{days}d",
                str(audit.pk),
                title,
                body,
                audit.get_absolute_url(),
            )
    overdue = Audit.objects.report_overdue(today).prefetch_related(team).order_by("pk")
    for audit in overdue:
        lead = audit.lead_auditor
        if lead is None:
            continue
        yield Reminder(
            lead,
            "audits.report_overdue",
            str(audit.pk),
            lazy_format(
                _("The report of audit %(code)s is overdue (due %(date)s)"),
                code=audit.code,
                date=audit.report_due.strftime("%d/%m/%Y"),
            ),
            lazy_format(_("%(days)s day(s) late."), days=(today - audit.report_due).days),
            audit.get_absolute_url(),
        )
