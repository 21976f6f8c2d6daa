"""Publishing and closing a campaign are refused by the service itself to anyone who does not
manage it, whatever the page in front of it checks."""

import pytest

from ims.workflow import Refusal
from surveys.models import Campaign
from surveys.services import campaign_close, campaign_publish
from tests.surveys.factories import make_campaign

pytestmark = pytest.mark.django_db


def test_a_school_member_cannot_publish_a_department_campaign(world):
    campaign = make_campaign(world, publish=False)
    with pytest.raises(Refusal):
        campaign_publish(campaign, actor=world.principal, without_codes_ok=True)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT
    assert not campaign.links.exists()


def test_a_school_member_cannot_close_a_department_campaign(world):
    campaign = make_campaign(world)
    with pytest.raises(Refusal):
        campaign_close(campaign, actor=world.principal)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.PUBLISHED


def test_its_manager_publishes_and_closes_it(world):
    campaign = make_campaign(world, publish=False)
    campaign_publish(campaign, actor=world.iso, without_codes_ok=True)
    campaign_close(campaign, actor=world.iso)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.CLOSED
