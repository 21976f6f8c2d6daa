"""Audit reminders for the core's daily pass.

- team and auditees: an audit starts in 7 days, and again the day before;
- lead auditor (for an external audit, the programme manager who records it): the report is
  overdue (every day until it is issued).
The start notices are ``once`` reminders: each is sent by the first pass on or after its day, so
a missed pass loses nothing. When passes were missed past the day-before mark, only that nearer
notice is sent: it supersedes the 7-day one. A rescheduled audit is announced again.
"""

from collections.abc import Iterator
from datetime import date, timedelta

from django.db.models import Prefetch
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from audits.models import Audit, AuditTeamMember
from ims.reminders import Reminder, lazy_format

START_NOTICE_DAYS = (7, 1)


def _start_title(audit: Audit, days_left: int) -> str | Promise:
    values = {
        "code": audit.code,
        "date": audit.planned_start.strftime("%d/%m/%Y"),
        "title": audit.title,
    }
    if days_left == 0:
        return lazy_format(_("Audit %(code)s starts today, %(date)s: %(title)s"), **values)
    return lazy_format(
        _("Audit %(code)s starts in %(days)s day(s), on %(date)s: %(title)s"),
        days=days_left,
        **values,
    )


def audit_reminders(today: date) -> Iterator[Reminder]:
    team = Prefetch("team", queryset=AuditTeamMember.objects.select_related("user"))
    audits = (
        Audit.objects.filter(
            planned_start__gte=today,
            planned_start__lte=today + timedelta(days=max(START_NOTICE_DAYS)),
            status__in=[Audit.Status.PLANNED, Audit.Status.PLAN_APPROVED],
        )
        .prefetch_related(team, "auditees")
        .order_by("pk")
    )
    for audit in audits:
        days_left = (audit.planned_start - today).days
        # the nearest notice whose day has come (7 days before, then the day before)
        stage = min(d for d in START_NOTICE_DAYS if d >= days_left)
        title = _start_title(audit, days_left)
        body = lazy_format(_("Places: %(places)s"), places=audit.places or "—")
        recipients = {m.user.pk: m.user for m in audit.team.all()}
        recipients.update({u.pk: u for u in audit.auditees.all()})
        for user in recipients.values():
            yield Reminder(
                user,
                f"audits.starting_{stage}d",
                f"{audit.pk}:{audit.planned_start.isoformat()}",
                title,
                body,
                audit.get_absolute_url(),
                once=True,
            )
    overdue = (
        Audit.objects.report_overdue(today)
        .select_related("programme__owner", "programme__unit")
        .prefetch_related(team)
        .order_by("pk")
    )
    for audit in overdue:
        lead = audit.lead_auditor
        if audit.is_external and audit.is_manager(audit.programme.owner):
            lead = audit.programme.owner  # who records an external audit's report
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
