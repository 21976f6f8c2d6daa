"""A campaign's respondent group follows its instrument unless the planner chooses another."""

import pytest

from surveys.forms import CampaignForm
from surveys.models import Campaign
from tests.surveys.factories import make_campaign

pytestmark = pytest.mark.django_db


def _data(version, **extra):
    return {
        "version": version.pk,
        "title": "Khảo sát phụ huynh học kỳ II",
        "owner_unit": "",
        "units": [],
        "opens_on": "2026-03-01",
        "closes_on": "2026-03-31",
        **extra,
    }


def test_a_parents_instrument_makes_a_parents_campaign(client_for, world):
    version = make_campaign(world, template="parents", units=[world.school], publish=False).version
    data = _data(version, owner_unit=world.school.pk, units=[world.school.pk])
    response = client_for(world.principal).post("/surveys/new/", data)
    assert response.status_code == 302
    assert Campaign.objects.latest("pk").group == "parents"


def test_a_group_chosen_by_the_planner_is_kept(client_for, world):
    version = make_campaign(world, template="learners", units=[world.school], publish=False).version
    data = _data(version, owner_unit=world.school.pk, units=[world.school.pk], group="staff")
    response = client_for(world.principal).post("/surveys/new/", data)
    assert response.status_code == 302
    assert Campaign.objects.latest("pk").group == "staff"


def test_the_form_tells_the_page_each_instruments_group(world):
    version = make_campaign(world, template="learners", units=[world.school], publish=False).version
    form = CampaignForm(user=world.principal)
    assert f"{{&quot;{version.pk}&quot;: &quot;learners&quot;}}" in str(form["version"])
    assert str(form["group"]).count("<option") == 6  # the instrument's group, then the five
