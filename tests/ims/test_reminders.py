"""The reminder pass: exactly once per item, recipient, kind and day; digest or immediate."""

import threading
from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils.translation import gettext_lazy as _

from ims import reminders
from ims.models import Notification
from ims.reminders import Reminder, lazy_format, send_digests, send_reminders


@pytest.fixture
def provider(world):
    """One reminder for the teacher and one for principal2, every day."""

    def remind(today):
        yield Reminder(
            world.teacher,
            "test.review_due",
            "doc-7",
            lazy_format(_("Hello, %(name)s"), name="QT-07"),
            url="/org/",
        )
        yield Reminder(
            world.principal2,
            "test.review_due",
            "doc-7",
            lazy_format(_("Hello, %(name)s"), name="QT-07"),
        )

    reminders.register_reminders("test", remind)
    yield remind
    reminders._providers.pop("test", None)


def test_pass_run_twice_sends_each_reminder_once(
    provider, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert send_reminders(date(2026, 11, 24)) == 2
        assert send_reminders(date(2026, 11, 24)) == 0
    assert Notification.objects.count() == 2
    assert len(mailoutbox) == 2
    assert send_reminders(date(2026, 11, 25)) == 2  # a new day is a new reminder


def test_reminder_is_written_in_recipients_language(
    provider, world, mailoutbox, django_capture_on_commit_callbacks
):
    world.principal2.language = "en"
    world.principal2.save()
    with django_capture_on_commit_callbacks(execute=True):
        send_reminders(date(2026, 11, 24))
    titles = dict(Notification.objects.values_list("user__username", "title"))
    assert titles == {"teacher": "Xin chào, QT-07", "principal2": "Hello, QT-07"}
    subjects = {m.to[0]: m.subject for m in mailoutbox}
    assert subjects[world.principal2.email] == "Hello, QT-07"


def test_digest_users_get_one_email_with_everything(
    provider, world, mailoutbox, django_capture_on_commit_callbacks
):
    world.teacher.email_delivery = "digest"
    world.teacher.save()
    with django_capture_on_commit_callbacks(execute=True):
        send_reminders(date(2026, 11, 24))
        send_reminders(date(2026, 11, 25))
    assert [m.to[0] for m in mailoutbox] == [world.principal2.email, world.principal2.email]
    assert send_digests() == 1
    digest = mailoutbox[-1]
    assert digest.to == [world.teacher.email]
    assert digest.body.count("Xin chào, QT-07") == 2
    assert send_digests() == 0


def test_unsent_emails_are_sent_by_the_next_pass(
    provider, world, mailoutbox, monkeypatch, django_capture_on_commit_callbacks
):
    from django.core import mail

    def smtp_down(self, *args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    with monkeypatch.context() as patch:
        patch.setattr(mail.EmailMultiAlternatives, "send", smtp_down)
        with django_capture_on_commit_callbacks(execute=True):
            assert send_reminders(date(2026, 11, 24)) == 2  # written, though not emailed
    assert mailoutbox == []
    assert not Notification.objects.filter(emailed_at__isnull=False).exists()
    with django_capture_on_commit_callbacks(execute=True):
        send_reminders(date(2026, 11, 24))
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        [world.teacher.email, world.principal2.email]
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL")
def test_two_concurrent_passes_send_once(mailoutbox):
    from tests.conftest import build_world

    world = build_world()

    def remind(today):
        for user in (world.teacher, world.principal, world.head):
            yield Reminder(user, "test.concurrent", "item-1", "Nhắc việc")

    reminders.register_reminders("test-concurrent", remind)
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait()
            send_reminders(date(2026, 11, 24))
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connection.close()

    try:
        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        reminders._providers.pop("test-concurrent", None)
    assert errors == []
    assert Notification.objects.filter(kind="test.concurrent").count() == 3
    assert len(mailoutbox) == 3


def test_long_item_keys_that_share_a_prefix_stay_distinct(world):
    import datetime

    from ims.reminders import Reminder

    day = datetime.date(2026, 11, 30)
    first = Reminder(world.teacher, "doc", "x" * 300 + "1", "t").key_for(day)
    second = Reminder(world.teacher, "doc", "x" * 300 + "2", "t").key_for(day)
    assert first != second and len(first) <= 200 and len(second) <= 200


def test_a_once_reminder_key_leaves_out_the_day(world):
    day = date(2025, 11, 3)
    once = Reminder(world.teacher, "doc", "item", "t", once=True)
    daily = Reminder(world.teacher, "doc", "item", "t")
    assert once.key_for(day) == once.key_for(day + timedelta(days=1))
    assert daily.key_for(day) != daily.key_for(day + timedelta(days=1))
