"""A campaign closed with a reason keeps it in its history; its links have history too."""

import pytest

from surveys.models import SurveyLink
from surveys.services import campaign_close
from tests.surveys.factories import make_campaign

pytestmark = pytest.mark.django_db


def test_close_reason_is_kept_in_the_campaign_history(world):
    campaign = make_campaign(world)
    campaign_close(actor=world.iso, campaign=campaign, reason="Đủ số phiếu cần thiết")
    latest = campaign.history.first()
    assert latest.status == "closed"
    assert latest.history_change_reason == "Đủ số phiếu cần thiết"


def test_a_link_switched_off_keeps_its_history(world):
    link = SurveyLink.objects.filter(campaign=make_campaign(world)).first()
    link.is_active = False
    link.save()
    assert [h.is_active for h in link.history.all()][:1] == [False]
