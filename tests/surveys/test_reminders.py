"""Quality manager reminder: campaign closing in 3 days with a low response rate; sent once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ims.models import Notification
from ims.reminders import send_reminders
from surveys.reminders import survey_reminders
from tests.surveys.factories import make_campaign, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(world):
    today = timezone.localdate()
    c = make_campaign(
        world, units=[world.school], target_responses=20, closes_on=today + timedelta(days=3)
    )
    submit(c, world.school, n=6)  # 30 % < 50 %
    return c


def test_due_three_days_before_closing_with_low_rate(world, campaign):
    today = timezone.localdate()
    reminders = list(survey_reminders(today))
    assert [r.user for r in reminders] == [world.iso]
    assert str(campaign.pk) in reminders[0].item_key
    assert list(survey_reminders(today - timedelta(days=1))) == []
    assert list(survey_reminders(today + timedelta(days=4))) == []  # closed by then


def test_a_missed_pass_loses_nothing_and_the_reminder_is_sent_once(world, campaign):
    today = timezone.localdate()
    # the pass 3 days before closing did not run: the next one sends the reminder, once
    assert send_reminders(today + timedelta(days=1)) == 1
    note = Notification.objects.get(user=world.iso, kind="survey_low_response")
    assert "2" in note.title
    assert send_reminders(today + timedelta(days=2)) == 0
    assert send_reminders(today + timedelta(days=3)) == 0
    assert Notification.objects.filter(kind="survey_low_response").count() == 1


def test_on_the_closing_day_a_missed_reminder_still_goes_out(world, campaign):
    today = timezone.localdate()
    assert [r.user for r in survey_reminders(today + timedelta(days=3))] == [world.iso]


def test_not_due_when_rate_reaches_threshold(world, campaign):
    submit(campaign, world.school, n=4)  # 10 / 20 = 50 %
    assert list(survey_reminders(timezone.localdate())) == []


def test_threshold_is_a_setting(world, campaign, settings):
    settings.SURVEY_REMINDER_RATE = 0.25
    assert list(survey_reminders(timezone.localdate())) == []


def test_closed_or_untargeted_campaigns_are_not_reminded(world, campaign):
    from surveys.services import campaign_close

    campaign_close(actor=world.iso, campaign=campaign)
    assert list(survey_reminders(timezone.localdate())) == []


def test_pass_run_twice_sends_once_in_recipients_language(world, campaign, mailoutbox):
    world.iso.language = "vi"
    world.iso.save()
    send_reminders(timezone.localdate())
    send_reminders(timezone.localdate())
    notes = Notification.objects.filter(user=world.iso, kind="survey_low_response")
    assert notes.count() == 1
    assert "3 ngày" in notes.get().title and "30%" in notes.get().title
