"""The data migration that turns the day-keyed reminders already sent into once keys."""

import importlib
from datetime import date, timedelta

import pytest
from django.apps import apps

from ims.models import Notification
from ims.reminders import Reminder

pytestmark = pytest.mark.django_db

migration = importlib.import_module("ims.migrations.0014_reminder_once_keys")


def _sent(user, kind, key):
    return Notification.objects.create(user=user, kind=kind, title="t", dedupe_key=key)


def _key(notification):
    notification.refresh_from_db()
    return notification.dedupe_key


def test_day_keys_of_the_once_kinds_lose_their_day(world):
    uid = world.teacher.pk
    review = _sent(
        world.teacher,
        "documents.review_due",
        f"documents.review_due:doc-5-2026-12-01:{uid}:2026-11-01",
    )
    overdue = _sent(
        world.teacher, "nc_action_overdue", f"nc_action_overdue:action-3-w0:{uid}:2026-01-02"
    )
    migration.once_keys(apps, None)
    assert _key(review) == f"documents.review_due:doc-5-2026-12-01:{uid}"
    assert _key(overdue) == f"nc_action_overdue:action-3-w0:{uid}"


def test_the_rewritten_key_is_the_key_the_reminder_now_has(world):
    day = date(2026, 11, 1)
    reminder = Reminder(world.teacher, "documents.ack_overdue", "rev-9-w2", "t", once=True)
    daily = Reminder(world.teacher, "documents.ack_overdue", "rev-9-w2", "t")
    old = _sent(world.teacher, "documents.ack_overdue", daily.key_for(day))
    migration.once_keys(apps, None)
    assert _key(old) == reminder.key_for(day + timedelta(days=5))


def test_other_kinds_and_once_keys_are_left_alone(world):
    uid = world.teacher.pk
    daily = _sent(
        world.teacher, "audits.report_overdue", f"audits.report_overdue:12:{uid}:2026-01-01"
    )
    unread = _sent(
        world.teacher,
        "documents.ack_reminder",
        f"documents.ack_reminder:rev-4:{uid}:2026-01-01",
    )
    already = _sent(world.teacher, "nc_action_due", f"nc_action_due:action-4:{uid}")
    migration.once_keys(apps, None)
    migration.once_keys(apps, None)  # running it again changes nothing
    assert _key(daily) == f"audits.report_overdue:12:{uid}:2026-01-01"
    assert _key(unread) == f"documents.ack_reminder:rev-4:{uid}:2026-01-01"
    assert _key(already) == f"nc_action_due:action-4:{uid}"


def test_a_stage_written_on_two_days_keeps_one_once_key(world):
    uid = world.principal.pk
    first = _sent(
        world.principal, "nc_action_escalated", f"nc_action_escalated:action-8-w0:{uid}:2026-02-01"
    )
    second = _sent(
        world.principal, "nc_action_escalated", f"nc_action_escalated:action-8-w0:{uid}:2026-02-02"
    )
    migration.once_keys(apps, None)
    assert _key(first) == f"nc_action_escalated:action-8-w0:{uid}"
    assert _key(second) == f"nc_action_escalated:action-8-w0:{uid}:2026-02-02"
