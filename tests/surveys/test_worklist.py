"""Survey results below the threshold on the task list of the people who manage the unit."""

import pytest

from ims import worklist
from surveys.results import campaign_results
from tests.surveys.factories import make_campaign, submit

pytestmark = pytest.mark.django_db
KIND = "surveys.low_result"


def items(user):
    return [item for item in worklist.collect(user) if item.kind == KIND]


@pytest.fixture
def low_campaign(world):
    campaign = make_campaign(world, units=[world.school], title="Khảo sát phụ huynh TH1")
    submit(campaign, world.school, n=6, likert=2)  # index 25, below 60
    return campaign


def test_the_principal_sees_her_schools_low_result_with_the_results_pages_index(
    world, low_campaign
):
    [item] = items(world.principal)
    results = campaign_results(low_campaign, world.school)
    assert results.is_low
    assert item.url == f"/surveys/{low_campaign.pk}/results/?unit={world.school.pk}"
    assert "Khảo sát phụ huynh TH1" in item.title and "n = 6" in item.title
    assert f"{results.index:.1f}".replace(".", ",") in item.title
    assert item.unit == world.school.label


def test_managers_above_see_it_for_their_whole_subtree_and_nobody_else_does(world, low_campaign):
    assert [i.unit for i in items(world.director)] == [world.root.label]
    assert items(world.teacher) == []  # staff: results are for the unit's managers
    assert items(world.principal2) == []  # another school's principal


def test_a_good_result_or_a_small_group_is_no_task(world):
    good = make_campaign(world, units=[world.school], title="Tốt")
    submit(good, world.school, n=6, likert=5)
    small = make_campaign(world, units=[world.school], title="Ít")
    submit(small, world.school, n=3, likert=1)  # hidden below 5 answers
    assert items(world.principal) == []


def test_once_a_low_result_is_raised_as_an_nc_it_leaves_the_list(world, low_campaign, client_for):
    client_for(world.principal).post(
        f"/surveys/{low_campaign.pk}/results/raise/",
        {"kind": "improvement", "unit": world.school.pk, "area": ""},
    )
    assert items(world.principal) == []
    assert len(items(world.director)) == 1  # the province's own figure is still to act on
