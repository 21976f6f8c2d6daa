"""A campaign's history shows each viewer the campaign's own steps, and the steps about one
unit (its one-time codes, an NC raised from its results) only where they see that unit."""

import pytest

from surveys import services
from tests.surveys.factories import make_campaign, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(world):
    campaign = make_campaign(world, units=[world.root])  # both schools answer
    services.codes_generate(actor=world.principal, campaign=campaign, unit=world.school, count=3)
    services.codes_generate(actor=world.principal2, campaign=campaign, unit=world.school2, count=4)
    submit(campaign, world.school2, n=6, likert=2)  # below the threshold: an NC may be raised
    nc = services.result_raise(
        actor=world.principal2,
        campaign=campaign,
        unit=world.school2,
        area=None,
        kind="nonconformity",
    )
    campaign.nc_number = nc.number
    return campaign


def history(client, campaign):
    response = client.get(f"/surveys/{campaign.pk}/")
    assert response.status_code == 200
    events = [(e.action, e.reason) for e in response.context["history"]]
    return events, response.content.decode()


@pytest.mark.parametrize(
    "username, sees_th1, sees_th2",
    [
        ("principal", True, False),
        ("teacher", True, False),  # a member of the school with fewer rights
        ("principal2", False, True),
        ("director", True, True),
        ("iso", True, True),
    ],
)
def test_campaign_history_shows_only_the_viewers_units(
    world, client_for, campaign, username, sees_th1, sees_th2
):
    events, page = history(client_for(getattr(world, username)), campaign)
    actions = [action for action, _reason in events]
    assert actions[:2] == ["create", "publish"]  # the campaign's own steps, for everyone
    assert ("codes", "3 × TH1") in events if sees_th1 else ("codes", "3 × TH1") not in events
    assert ("codes", "4 × TH2") in events if sees_th2 else ("codes", "4 × TH2") not in events
    assert ("raise_nc" in actions) is sees_th2
    assert (campaign.nc_number in page) is sees_th2
    assert ("4 × TH2" in page) is sees_th2


def test_campaign_history_outsider_gets_404(world, client_for):
    campaign = make_campaign(world, units=[world.school])
    assert client_for(world.principal2).get(f"/surveys/{campaign.pk}/").status_code == 404


def test_campaign_page_query_count_does_not_grow_with_its_history(world, client_for, campaign):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(world.principal)
    url = f"/surveys/{campaign.pk}/"
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for _ in range(8):
        services.codes_generate(
            actor=world.principal, campaign=campaign, unit=world.school, count=1
        )
        services.codes_generate(
            actor=world.principal2, campaign=campaign, unit=world.school2, count=1
        )
    with CaptureQueriesContext(connection) as after:
        response = client.get(url)
    assert len(response.context["history"]) == 2 + 1 + 8  # create, publish, TH1's batches
    assert len(after.captured_queries) == len(before.captured_queries)
