"""Audit reminders: team and auditees 7 days and 1 day before; the lead when the report is late."""

from datetime import date, timedelta

import pytest

from audits.models import Audit
from audits.reminders import audit_reminders
from ims.models import Notification
from ims.reminders import send_reminders
from tests.audits.factories import make_audit

START = date(2025, 11, 10)  # make_audit's planned first day; last day 11/11, report due 21/11


def _keys(today):
    return sorted((r.kind, r.user.username) for r in audit_reminders(today))


@pytest.mark.parametrize(
    ("days_before", "kind"), [(7, "audits.starting_7d"), (1, "audits.starting_1d")]
)
def test_team_and_auditees_are_reminded_7_and_1_days_before(world, days_before, kind):
    make_audit(world, status=Audit.Status.PLAN_APPROVED)
    assert _keys(START - timedelta(days=days_before)) == [
        (kind, "auditor"),
        (kind, "leadauditor"),
        (kind, "principal"),
    ]


@pytest.mark.parametrize("day", [START - timedelta(days=8), START + timedelta(days=1)])
def test_no_start_reminder_before_the_7_day_mark_or_after_the_start(world, day):
    make_audit(world, status=Audit.Status.PLAN_APPROVED)
    assert _keys(day) == []


def _sent_by_pass(day):
    before = set(Notification.objects.values_list("pk", flat=True))
    send_reminders(day)
    return sorted(Notification.objects.exclude(pk__in=before).values_list("kind", "user__username"))


def test_a_missed_pass_loses_no_start_notice_and_each_is_sent_once(world):
    make_audit(world, status=Audit.Status.PLAN_APPROVED)
    people = ["auditor", "leadauditor", "principal"]
    # the pass 7 days before did not run (the worker was down): the next pass sends the notice
    assert _sent_by_pass(START - timedelta(days=6)) == [("audits.starting_7d", u) for u in people]
    for days_before in (5, 4, 3, 2):
        assert _sent_by_pass(START - timedelta(days=days_before)) == []
    assert _sent_by_pass(START - timedelta(days=1)) == [("audits.starting_1d", u) for u in people]
    assert _sent_by_pass(START) == []
    assert "6" in Notification.objects.filter(kind="audits.starting_7d").first().title


def test_the_day_before_notice_is_sent_on_the_first_day_if_that_pass_was_missed(world):
    make_audit(world, status=Audit.Status.PLAN_APPROVED)
    send_reminders(START - timedelta(days=7))
    assert _sent_by_pass(START) == [
        ("audits.starting_1d", u) for u in ["auditor", "leadauditor", "principal"]
    ]


def test_a_rescheduled_audit_is_announced_again(world):
    audit = make_audit(world, status=Audit.Status.PLAN_APPROVED)
    send_reminders(START - timedelta(days=7))
    Audit.objects.filter(pk=audit.pk).update(
        planned_start=START + timedelta(days=7), planned_end=START + timedelta(days=8)
    )
    assert len(_sent_by_pass(START)) == 3


def test_no_start_reminder_for_an_audit_already_running(world):
    make_audit(world, status=Audit.Status.IN_PROGRESS)
    assert _keys(START - timedelta(days=1)) == []


def test_lead_is_reminded_when_the_report_is_overdue(world):
    audit = make_audit(world, status=Audit.Status.REPORTING)
    assert audit.report_due == date(2025, 11, 21)
    assert _keys(date(2025, 11, 21)) == []  # due today: not late yet
    assert _keys(date(2025, 11, 22)) == [("audits.report_overdue", "leadauditor")]
    [reminder] = audit_reminders(date(2025, 11, 30))
    assert "9" in str(reminder.body)


def test_issued_report_is_not_overdue(world):
    make_audit(world, status=Audit.Status.REPORT_ISSUED)
    assert _keys(date(2025, 12, 30)) == []


def test_report_due_days_is_configurable(world, settings):
    settings.AUDIT_REPORT_DUE_DAYS = 3
    audit = make_audit(world, status=Audit.Status.IN_PROGRESS)
    assert audit.report_due == date(2025, 11, 14)
    assert _keys(date(2025, 11, 15)) == [("audits.report_overdue", "leadauditor")]


def test_daily_pass_run_twice_sends_once_in_vietnamese(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    make_audit(world, status=Audit.Status.PLAN_APPROVED)
    day = START - timedelta(days=7)
    with django_capture_on_commit_callbacks(execute=True):
        first = send_reminders(day)
        second = send_reminders(day)
    assert (first, second) == (3, 0)
    notes = Notification.objects.filter(kind="audits.starting_7d")
    assert notes.count() == 3 and len(mailoutbox) == 3
    title = notes.get(user=world.principal).title
    assert "DG-001" in title and "7" in title and "10/11/2025" in title
    assert "bắt đầu" in title


def test_an_external_audits_overdue_report_reminds_the_programme_manager(world):
    make_audit(
        world,
        status=Audit.Status.REPORTING,
        kind="certification",
        external_body="QUACERT",
        external_lead_auditor="Trần Quốc Bảo",
        team=False,
    )
    assert _keys(date(2025, 11, 22)) == [("audits.report_overdue", "iso")]
