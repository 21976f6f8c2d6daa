"""Reminders of the surveys module: the quality manager hears about a campaign that
closes in ``SURVEY_REMINDER_DAYS`` (3) days while its response rate is below
``SURVEY_REMINDER_RATE`` (0.5, a share of the expected responses).

A ``once`` reminder: the first daily pass on or after that day sends it (while the campaign is
still open and the rate still low), and no later pass does; a missed pass loses nothing."""

from collections.abc import Iterator
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Sum
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ims.models import Membership, Role
from ims.reminders import Reminder, lazy_format
from surveys.models import Campaign, UnitTally


def survey_reminders(today: date) -> Iterator[Reminder]:
    days = getattr(settings, "SURVEY_REMINDER_DAYS", 3)
    threshold = getattr(settings, "SURVEY_REMINDER_RATE", 0.5)
    campaigns = Campaign.objects.filter(
        status=Campaign.Status.PUBLISHED,
        closes_on__gte=today,
        closes_on__lte=today + timedelta(days=days),
        target_responses__gt=0,
    ).select_related("owner_unit")
    for campaign in campaigns:
        n = UnitTally.objects.filter(campaign=campaign).aggregate(n=Sum("count"))["n"] or 0
        rate = n / campaign.target_responses
        if rate >= threshold:
            continue
        managers = (
            Membership.objects.active()
            .filter(role=Role.QUALITY_MANAGER)
            .covering(campaign.owner_unit)
            .select_related("user")
        )
        left = (campaign.closes_on - today).days
        if left:
            title = lazy_format(
                _(
                    "Survey “%(title)s” closes in %(days)d days with %(rate)d%% of the expected responses"
                ),
                title=campaign.title,
                days=left,
                rate=round(rate * 100),
            )
        else:
            title = lazy_format(
                _("Survey “%(title)s” closes today with %(rate)d%% of the expected responses"),
                title=campaign.title,
                rate=round(rate * 100),
            )
        for user in {m.user for m in managers}:
            yield Reminder(
                user=user,
                kind="survey_low_response",
                item_key=f"campaign-{campaign.pk}:{campaign.closes_on.isoformat()}",
                once=True,
                title=title,
                body=lazy_format(
                    _(
                        "%(n)d of %(target)d expected responses so far. Remind the units to share the link or codes."
                    ),
                    n=n,
                    target=campaign.target_responses,
                ),
                url=reverse("surveys:campaign_detail", args=[campaign.pk]),
            )
