"""Index math on a hand-computed dataset, and small-group suppression (incl. complementary)."""

import pytest
from django.db.models import Sum

from surveys.models import QuestionTally, UnitTally, ValueTally
from surveys.results import campaign_results, decide, likert_index
from surveys.services import campaign_close, tally_rebuild
from tests.factories import UnitFactory
from tests.surveys.factories import make_campaign, submit
from tests.surveys.released import assert_no_hidden_cell_recoverable

pytestmark = pytest.mark.django_db


def test_index_formula():
    assert likert_index(1) == 0
    assert likert_index(5) == 100
    assert likert_index(3.4) == pytest.approx(60)


def hidden_cells(cells, own=0):
    """Which of ``cells`` (the n of a commune's schools) the decision hides, when the commune
    also has ``own`` responses of its own (a cell "own" beside them)."""
    units = {f"0/1/{i}/": n for i, n in enumerate(cells)}
    totals, hidden = decide({"0/1/": own, **units}, {"0/": own + sum(cells)}, 5)
    found = {i for i, _n in enumerate(cells) if f"0/1/{i}/" in hidden}
    return found | ({"own"} if "0/1/=" in hidden else set())


def test_suppress_hides_small_cells():
    assert hidden_cells([10, 3, 8]) == {1, 2}  # 3 hidden; then 8 too, else 21 − 10 − 8 gives 3
    assert hidden_cells([10, 12, 8]) == set()
    assert hidden_cells([10, 0, 8]) == set()


def test_suppress_complementary_cell_when_total_reveals_the_hidden_one():
    # Total 25 is shown; hiding only the 2 would let 25 − 12 − 11 = 2 be read back.
    assert hidden_cells([12, 11, 2]) == {1, 2}


def test_suppress_two_small_cells_together_still_below_k():
    assert hidden_cells([20, 2, 2]) == {0, 1, 2}  # hidden sum 4 < 5: one more must go


def test_suppress_two_small_cells_summing_to_k_are_enough():
    assert hidden_cells([20, 3, 2, 9]) == {1, 2}


def test_a_units_own_responses_are_a_cell_beside_its_children():
    # 6 answered at the commune itself: 28 − 20 − 6 would reveal the 2, so the own cell goes.
    assert hidden_cells([20, 2], own=6) == {1, "own"}
    assert hidden_cells([20, 6], own=2) == {"own", 1}
    assert hidden_cells([20, 8], own=6) == set()


def test_suppress_everything_below_a_unit_with_fewer_than_k():
    totals, hidden = decide({"0/1/": 0, "0/1/0/": 2, "0/1/1/": 2}, {"0/": 4}, 5)
    assert {"0/", "0/1/0/", "0/1/1/"} <= hidden


def test_question_statistics_on_a_small_dataset(world):
    campaign = make_campaign(world, units=[world.school])
    # p2 answers: 5,5,4,3,2,1 → mean 20/6 = 3.333, index 58.33, top-2-box 3/6 = 50 %
    for value in (5, 5, 4, 3, 2, 1):
        submit(campaign, world.school, p2=value, likert=4, p7=value * 2)
    results = campaign_results(campaign, world.root)
    assert results.n == 6
    stats = {q.code: s for _sec, items in results.questions for q, s in items}
    p2 = stats["p2"]
    assert p2.n == 6
    assert p2.mean == pytest.approx(20 / 6)
    assert p2.index == pytest.approx((20 / 6 - 1) / 4 * 100)
    assert p2.top2 == pytest.approx(50)
    assert [count for _v, _l, count, _p in p2.distribution] == [1, 1, 1, 1, 2]
    # NPS values 10,10,8,6,4,2: promoters 2, detractors 3 → (2 − 3) / 6 = −16.7
    assert stats["p7"].nps == pytest.approx(-100 / 6)
    # Overall index pools every Likert answer: p2 (sum 20) + 4 others × 6 × 4 = 116 over 30.
    assert results.index == pytest.approx((116 / 30 - 1) / 4 * 100)
    access = next(r for r in results.areas if r.area.code == "access")
    assert access.index == pytest.approx(p2.index) and access.n == 6


def test_group_below_five_is_hidden_everywhere(world):
    campaign = make_campaign(world, units=[world.school])
    submit(campaign, world.school, n=4)
    results = campaign_results(campaign, world.root)
    assert results.n == 4 and results.hidden and results.index is None
    assert all(
        s.hidden and not s.distribution for _sec, items in results.questions for _q, s in items
    )
    assert all(r.hidden for r in results.areas)


def test_unit_breakdown_hides_small_unit_and_its_complement(world):
    school3 = UnitFactory(code="TH3", name="Trường Tiểu học 3", parent=world.commune)
    campaign = make_campaign(world, units=[world.root])
    submit(campaign, world.school, n=6, likert=5)
    submit(campaign, school3, n=2, likert=1)
    submit(campaign, world.school2, n=7, likert=3)
    campaign_close(actor=world.iso, campaign=campaign)  # exact figures below the Department
    results = campaign_results(campaign, world.commune)
    rows = {r.unit.code: r for r in results.units}
    # The commune total (8) is shown; TH3 (2) is hidden, and so TH1 must be hidden as well.
    assert results.n == 8 and not results.hidden
    assert rows["TH3"].hidden and rows["TH3"].index is None
    assert rows["TH1"].hidden and rows["TH1"].index is None
    root = campaign_results(campaign, world.root)
    schools = {r.unit.code: r for r in root.units}
    # The province breaks down to schools: TH3 (2) is hidden, and TH1 (6) with it.
    assert set(schools) == {"TH1", "TH2", "TH3"}
    assert schools["TH3"].hidden and schools["TH1"].hidden and not schools["TH2"].hidden
    assert schools["TH2"].index == pytest.approx(50)
    # And no page, nor the dashboard, lets a hidden cell be read back by subtraction.
    assert_no_hidden_cell_recoverable(campaign, world)


def test_unit_breakdown_lists_schools_not_the_commune_above_them(world):
    campaign = make_campaign(world, units=[world.root])
    submit(campaign, world.school, n=6, likert=5)
    submit(campaign, world.school2, n=7, likert=3)
    submit(campaign, world.division, n=5, likert=4)  # an office, in no school
    rows = {r.unit.code: r for r in campaign_results(campaign, world.root).units}
    assert set(rows) == {"TH1", "TH2", "GDTH"}
    assert rows["TH1"].unit == world.school and rows["TH1"].n == 6
    assert rows["TH1"].index == pytest.approx(100) and rows["TH2"].index == pytest.approx(50)
    assert rows["GDTH"].n == 5
    # A school's own page has the school as its one row.
    (own,) = campaign_results(campaign, world.school).units
    assert own.unit == world.school and own.n == 6


def test_tally_rebuild_matches_live_counters(world):
    campaign = make_campaign(world, units=[world.school])
    for value in (1, 2, 3, 4, 5, 5):
        submit(campaign, world.school, p2=value, p7=value)

    def summed(model, *key):  # over the counters' shards
        return sorted(model.objects.values(*key).annotate(n=Sum("count")).values_list(*key, "n"))

    def snapshot():
        return (
            summed(UnitTally, "unit"),
            summed(QuestionTally, "question"),
            summed(ValueTally, "question", "value"),
        )

    before = snapshot()
    ValueTally.objects.all().delete()
    tally_rebuild(campaign)
    assert snapshot() == before


def test_rebuild_command(world):
    from django.core.management import CommandError, call_command

    campaign = make_campaign(world, units=[world.school])
    submit(campaign, world.school, n=2)
    UnitTally.objects.all().delete()
    call_command("survey_rebuild_tallies", str(campaign.pk))
    assert UnitTally.objects.get().count == 2
    with pytest.raises(CommandError):
        call_command("survey_rebuild_tallies", "999999")
