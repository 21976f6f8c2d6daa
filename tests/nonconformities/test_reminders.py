"""NC reminders: due soon, overdue, escalation to unit head (7 days) and director (30 days),
verification due; each stage sent once."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps as django_apps

from ims import reminders
from ims.models import Notification
from nonconformities import services
from nonconformities.reminders import nc_reminders

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def only_nc_provider(monkeypatch):
    monkeypatch.setattr(reminders, "_providers", {"nonconformities": nc_reminders})


def run(day):
    return reminders.send_reminders(day)


def sent(kind=None):
    queryset = Notification.objects.filter(
        kind__startswith="nc_action_"
    ) | Notification.objects.filter(kind="nc_verification_due")
    queryset = queryset.exclude(kind="nc_action_assigned")
    if kind:
        queryset = queryset.filter(kind=kind)
    return sorted(queryset.values_list("kind", "user__username"))


def test_owner_reminded_three_days_before_due_once(loop, world):
    loop.in_action()
    due = loop.action.due
    run(due - timedelta(days=4))
    assert sent() == []
    run(due - timedelta(days=3))
    assert sent() == [("nc_action_due", "teacher")]
    run(due - timedelta(days=3))
    run(due - timedelta(days=2))
    run(due)
    assert sent() == [("nc_action_due", "teacher")]


def test_overdue_owner_then_head_at_7_days_then_director_at_30(loop, world):
    loop.in_action()
    due = loop.action.due
    run(due + timedelta(days=1))
    assert sent("nc_action_overdue") == [("nc_action_overdue", "teacher")]
    assert sent("nc_action_escalated") == []
    run(due + timedelta(days=6))
    assert sent("nc_action_escalated") == []
    run(due + timedelta(days=7))
    assert sent("nc_action_escalated") == [("nc_action_escalated", "principal")]
    assert sent("nc_action_director") == []
    run(due + timedelta(days=29))
    assert sent("nc_action_director") == []
    run(due + timedelta(days=30))
    assert sent("nc_action_director") == [("nc_action_director", "director")]
    run(due + timedelta(days=31))
    assert sent("nc_action_director") == [("nc_action_director", "director")]


def test_a_missed_day_does_not_lose_the_escalation(loop, world):
    loop.in_action()
    run(loop.action.due + timedelta(days=9))  # the pass did not run on day 7 or 8
    assert sent("nc_action_escalated") == [("nc_action_escalated", "principal")]
    run(loop.action.due + timedelta(days=10))
    assert sent("nc_action_escalated") == [("nc_action_escalated", "principal")]


def test_overdue_owner_reminded_once_a_week(loop, world):
    loop.in_action()
    due = loop.action.due
    for day in range(1, 15):
        run(due + timedelta(days=day))
    assert len(sent("nc_action_overdue")) == 2  # days 1 and 8


def test_pass_run_twice_on_one_day_sends_once(loop, world):
    loop.in_action()
    day = loop.action.due + timedelta(days=30)
    assert run(day) == 3  # owner, head, director
    assert run(day) == 0


def test_completed_action_is_not_reminded(loop, world):
    nc = loop.in_action()
    services.action_complete(loop.action, actor=world.teacher, evidence="Đã làm")
    run(loop.action.due + timedelta(days=8))
    assert sent() == []
    nc.refresh_from_db()
    assert nc.status == "awaiting_verification"


def test_planned_verifier_reminded_when_check_is_due(loop, world):
    nc = loop.in_action()
    check = loop.action.due + timedelta(days=20)
    services.nonconformity_plan_verification(
        nc, actor=world.principal, verifier=world.director, planned_on=check
    )
    services.action_complete(loop.action, actor=world.teacher, evidence="Đã làm")
    run(check - timedelta(days=1))
    assert sent("nc_verification_due") == []
    run(check)
    run(check + timedelta(days=1))
    assert sent("nc_verification_due") == [("nc_verification_due", "director")]
    title = Notification.objects.get(kind="nc_verification_due").title
    assert nc.number in title


def test_reminders_are_in_the_recipients_language(
    loop, world, mailoutbox, django_capture_on_commit_callbacks
):
    world.principal.language = "en"
    world.principal.save(update_fields=["language"])
    loop.in_action()
    with django_capture_on_commit_callbacks(execute=True):
        run(loop.action.due + timedelta(days=7))
    titles = dict(
        Notification.objects.filter(
            kind__in=["nc_action_overdue", "nc_action_escalated"]
        ).values_list("user__username", "title")
    )
    assert "quá hạn 7 ngày" in titles["teacher"]
    assert "7 days overdue" in titles["principal"]
    subjects = {m.to[0]: m.subject for m in mailoutbox}
    assert "quá hạn" in subjects[world.teacher.email]


def test_a_stage_sent_on_an_earlier_day_is_not_sent_again(loop, world):
    """An escalation already in the head's inbox from an earlier day, under the day key it was
    written with before reminders became once-only (rewritten by the ims data migration), is not
    sent again; nor is the owner's overdue notice a pass wrote on an earlier day."""
    migration = importlib.import_module("ims.migrations.0014_reminder_once_keys")
    loop.in_action()
    due = loop.action.due
    head = world.principal
    Notification.objects.create(
        user=head,
        kind="nc_action_escalated",
        title="t",
        dedupe_key=f"nc_action_escalated:action-{loop.action.pk}-w0:{head.pk}:{due + timedelta(7)}",
    )
    migration.once_keys(django_apps, None)
    run(due + timedelta(days=8))
    run(due + timedelta(days=9))
    assert sent("nc_action_escalated") == [("nc_action_escalated", "principal")]
    assert sent("nc_action_overdue") == [("nc_action_overdue", "teacher")]
