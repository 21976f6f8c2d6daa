"""From a low result to a nonconformity, through ``nonconformities.services.nonconformity_raise``."""

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from nonconformities.models import Nonconformity
from surveys import services
from surveys.models import Area, ResultAction
from tests.surveys.factories import make_campaign, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_campaign(world):
    campaign = make_campaign(world, units=[world.school])
    submit(campaign, world.school, n=6, likert=2)  # index 25
    return campaign


def test_low_index_offers_raise_and_raises_once(client_for, world, low_campaign):
    client = client_for(world.principal)
    url = f"/surveys/{low_campaign.pk}/results/"
    assert 'data-testid="raise-box"' in client.get(url).content.decode()
    data = {"kind": "improvement", "unit": world.school.pk, "area": ""}
    response = client.post(f"{url}raise/", data)
    nc = Nonconformity.objects.get()
    assert response["Location"] == nc.get_absolute_url()
    assert nc.source == "survey" and nc.kind == "improvement" and nc.unit == world.school
    assert "25.0" in nc.description and "n = 6" in nc.description
    assert nc.source_object == ResultAction.objects.get()
    client.post(f"{url}raise/", data)
    assert Nonconformity.objects.count() == 1


def test_raise_per_area_is_a_separate_record(client_for, world, low_campaign):
    client = client_for(world.iso)
    url = f"/surveys/{low_campaign.pk}/results/raise/"
    area = Area.objects.get(code="facilities")
    client.post(url, {"kind": "nonconformity", "unit": world.school.pk, "area": area.pk})
    client.post(url, {"kind": "nonconformity", "unit": world.school.pk, "area": ""})
    assert Nonconformity.objects.filter(kind="nonconformity").count() == 2


def test_good_result_cannot_be_raised(client_for, world):
    campaign = make_campaign(world, units=[world.school])
    submit(campaign, world.school, n=6, likert=5)
    client = client_for(world.iso)
    assert (
        'data-testid="raise-box"'
        not in client.get(f"/surveys/{campaign.pk}/results/").content.decode()
    )
    client.post(
        f"/surveys/{campaign.pk}/results/raise/",
        {"kind": "nonconformity", "unit": world.school.pk, "area": ""},
    )
    assert Nonconformity.objects.count() == 0


def test_hidden_small_group_cannot_be_raised(client_for, world):
    campaign = make_campaign(world, units=[world.school])
    submit(campaign, world.school, n=3, likert=1)
    client_for(world.iso).post(
        f"/surveys/{campaign.pk}/results/raise/",
        {"kind": "nonconformity", "unit": world.school.pk, "area": ""},
    )
    assert Nonconformity.objects.count() == 0


def test_staff_and_outsider_cannot_raise(client_for, world, low_campaign):
    url = f"/surveys/{low_campaign.pk}/results/raise/"
    data = {"kind": "nonconformity", "unit": world.school.pk, "area": ""}
    assert client_for(world.teacher).post(url, data).status_code in (403, 404)
    assert client_for(world.principal2).post(url, data).status_code == 404
    assert Nonconformity.objects.count() == 0


def test_the_nc_links_back_to_the_results_for_those_who_may_see_them(
    client_for, world, low_campaign
):
    url = f"/surveys/{low_campaign.pk}/results/"
    client_for(world.principal).post(
        f"{url}raise/", {"kind": "improvement", "unit": world.school.pk, "area": ""}
    )
    nc = Nonconformity.objects.get()
    back = f'href="{url}?unit={world.school.pk}"'
    assert back in client_for(world.principal).get(nc.get_absolute_url()).content.decode()
    assert ResultAction.objects.get().can_view(world.director)
    assert not ResultAction.objects.get().can_view(world.principal2)


def test_the_service_refuses_a_result_that_is_not_below_the_threshold(world):
    """The rule lives in the service: a caller other than the results page is refused too."""
    campaign = make_campaign(world, units=[world.school])
    submit(campaign, world.school, n=6, likert=5)  # index 100
    facilities = Area.objects.get(code="facilities")
    for area in (None, facilities):
        with translation.override("en"), pytest.raises(PermissionDenied) as refused:
            services.result_raise(
                campaign, actor=world.iso, unit=world.school, area=area, kind="nonconformity"
            )
        assert refused.value.messages == [
            "Only a result below the threshold can raise a nonconformity from here."
        ]
    assert not Nonconformity.objects.exists() and not ResultAction.objects.exists()


def test_the_service_refuses_a_hidden_small_group(world):
    campaign = make_campaign(world, units=[world.school])
    submit(campaign, world.school, n=3, likert=1)
    with pytest.raises(PermissionDenied):
        services.result_raise(campaign, actor=world.iso, unit=world.school, kind="nonconformity")
    assert not Nonconformity.objects.exists()


def test_a_refused_raise_says_why_on_the_results_page(client_for, world):
    campaign = make_campaign(world, units=[world.school])
    submit(campaign, world.school, n=6, likert=5)
    response = client_for(world.iso).post(
        f"/surveys/{campaign.pk}/results/raise/",
        {"kind": "nonconformity", "unit": world.school.pk, "area": ""},
        follow=True,
    )
    assert response.redirect_chain[0][0].endswith(f"/results/?unit={world.school.pk}")
    with translation.override(response.wsgi_request.LANGUAGE_CODE):
        expected = translation.gettext(
            "Only a result below the threshold can raise a nonconformity from here."
        )
    assert [str(m) for m in response.context["messages"]] == [expected]
    assert not Nonconformity.objects.exists()
