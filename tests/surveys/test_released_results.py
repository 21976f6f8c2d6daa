"""Anonymity of results: below the Department, figures move only in steps of 5
responses (or when the campaign closes), and a hidden cell cannot be read back by subtracting
figures shown on any page, the dashboard included."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dashboard.indicators import build
from ims.schoolyear import SchoolYear
from surveys.models import Campaign, ReleasedResult
from surveys.results import campaign_results, group_summary, trend
from surveys.services import campaign_close
from tests.factories import UnitFactory
from tests.surveys.factories import make_campaign, submit
from tests.surveys.released import assert_no_hidden_cell_recoverable

pytestmark = pytest.mark.django_db


def figures(response):
    """Every figure of a results page."""
    results = response.context["results"]
    return (
        results.n,
        results.hidden,
        results.index,
        [(r.label, r.n, r.index, r.hidden) for r in results.areas],
        [(r.label, r.n, r.index, r.hidden) for r in results.units],
        [
            (q.code, s.n, s.mean, s.index, s.top2, s.nps, s.distribution, s.hidden)
            for _section, items in results.questions
            for q, s in items
        ],
    )


def test_a_schools_figures_move_only_in_steps_of_five_and_are_exact_once_closed(client_for, world):
    campaign = make_campaign(world, units=[world.root])
    submit(campaign, world.school, n=7, likert=5)
    principal = client_for(world.principal)
    url = f"/surveys/{campaign.pk}/results/?unit={world.school.pk}"
    first = principal.get(url)
    assert first.context["results"].n == 7 and not first.context["results"].hidden

    submit(campaign, world.school, likert=1)  # one parent answers, very dissatisfied
    assert figures(principal.get(url)) == figures(first)
    # The Department reads live figures, and the school's row on its page stays as released.
    department = client_for(world.iso).get(f"/surveys/{campaign.pk}/results/").context["results"]
    assert department.n == 8 and [(r.n, r.hidden) for r in department.units] == [(7, False)]
    detail = principal.get(f"/surveys/{campaign.pk}/").context["rows"]
    assert [row["responses"] for row in detail] == [7]

    submit(campaign, world.school, n=4, likert=1)  # five since the figures were released
    moved = principal.get(url)
    assert moved.context["results"].n == 12 and figures(moved) != figures(first)
    submit(campaign, world.school, likert=1)
    assert figures(principal.get(url)) == figures(moved)

    campaign_close(actor=world.iso, campaign=campaign)
    closed = principal.get(url).context["results"]
    assert closed.n == 13
    assert closed.index == pytest.approx((7 * 100 + 6 * 0) / 13)


def test_the_department_reads_live_figures(client_for, world):
    campaign = make_campaign(world, units=[world.root])
    submit(campaign, world.school, n=7)
    iso = client_for(world.iso)
    url = f"/surveys/{campaign.pk}/results/?unit={world.root.pk}"
    assert iso.get(url).context["results"].n == 7
    submit(campaign, world.school2)
    assert iso.get(url).context["results"].n == 8
    assert iso.get(f"/surveys/{campaign.pk}/").context["total"] == 8


def test_a_campaign_whose_dates_have_passed_is_exact(world):
    campaign = make_campaign(world, units=[world.root])
    submit(campaign, world.school, n=7)
    assert campaign_results(campaign, world.school).n == 7
    submit(campaign, world.school)
    assert campaign_results(campaign, world.school).n == 7
    Campaign.objects.filter(pk=campaign.pk).update(
        closes_on=timezone.localdate() - timedelta(days=1)
    )
    campaign.refresh_from_db()
    assert campaign_results(campaign, world.school).n == 8


def test_released_figures_are_rewritten_only_when_due(world, django_assert_num_queries):
    campaign = make_campaign(world, units=[world.root])
    submit(campaign, world.school, n=7)
    campaign_results(campaign, world.school)
    released = ReleasedResult.objects.get(campaign=campaign, unit=world.school)
    submit(campaign, world.school, n=2)
    campaign_results(campaign, world.school)
    assert ReleasedResult.objects.get(pk=released.pk).n == 7
    # Nothing due: live and released n (2 queries), the school's released counters (1), the
    # units of its rows (1), and the questions with their choices (2).
    with django_assert_num_queries(6):
        campaign_results(campaign, world.school)


def test_a_unit_hidden_to_protect_its_sibling_hides_its_schools_on_every_page(client_for, world):
    campaign = make_campaign(world, units=[world.root])
    submit(campaign, world.school, n=6, likert=5)  # commune XA1
    submit(campaign, world.school2, n=3, likert=1)  # commune XA2: too few
    submit(campaign, world.division, n=9, likert=3)
    campaign_close(actor=world.iso, campaign=campaign)
    # The Department (18) minus the division (9) minus XA1 (6) would give XA2's 3: XA1 is
    # hidden, and with it its school, even on the principal's own page.
    school = client_for(world.principal).get(
        f"/surveys/{campaign.pk}/results/?unit={world.school.pk}"
    )
    assert school.context["results"].hidden
    html = school.content.decode()
    assert "n = 6" not in html and 'data-testid="results-index"' not in html
    assert school.context["comments"] is None
    export = client_for(world.iso).get(
        f"/surveys/{campaign.pk}/results/export/?what=aggregate&fmt=csv"
    )
    th1 = next(
        line for line in b"".join(export.streaming_content).decode().splitlines() if "TH1" in line
    )
    assert ",6," not in th1
    seen = assert_no_hidden_cell_recoverable(campaign, world)
    assert world.school.path not in seen and world.commune.path not in seen
    assert seen[world.root.path] == 18 and seen[world.division.path] == 9


@pytest.mark.parametrize("closed", [False, True])
def test_no_page_reveals_a_hidden_cell_in_a_larger_tree(world, closed):
    commune3 = UnitFactory(code="XA3", name="Xã Ba", parent=world.root)
    schools = [world.school, world.school2] + [
        UnitFactory(code=f"TH{i}", name=f"Trường {i}", parent=parent)
        for i, parent in [(3, world.commune), (4, commune3), (5, commune3), (6, world.commune2)]
    ]
    campaign = make_campaign(world, units=[world.root])
    for school, n in zip(schools, [6, 8, 2, 11, 4, 7], strict=True):
        submit(campaign, school, n=n, likert=1 + n % 5)
    submit(campaign, world.commune, n=1)  # answered at the commune's own link
    for school in schools[:3]:
        campaign_results(campaign, school)  # released now; then two more each
        submit(campaign, school, n=2)
    if closed:
        campaign_close(actor=world.iso, campaign=campaign)
    assert_no_hidden_cell_recoverable(campaign, world)


def test_figures_pooled_over_campaigns_are_hidden_when_one_campaign_hides_them(world):
    first = make_campaign(world, units=[world.root])
    submit(first, world.school, n=6)
    submit(first, world.school2, n=3)
    submit(first, world.division, n=9)
    campaign_close(actor=world.iso, campaign=first)
    assert campaign_results(first, world.commune).hidden  # protects XA2's 3
    second = make_campaign(world, units=[world.root])
    second.version = first.version
    second.save(update_fields=["version"])
    submit(second, world.school, n=8)
    campaign_close(actor=world.iso, campaign=second)
    assert not campaign_results(second, world.commune).hidden
    (group,) = group_summary([first, second], world.commune)
    assert group.hidden and group.index is None  # 14 − 8 would give the first's 6
    rows = {row.campaign.pk: row for row in trend(second, world.commune)}
    assert rows[first.pk].hidden and not rows[second.pk].hidden
    # The dashboard pools a year's campaigns per group: the commune's point is hidden too.
    board = build(world.commune, SchoolYear.of(first.opens_on), user=world.director)
    ((_group, points),) = board.satisfaction_trend
    assert points[-1]["hidden"] and points[-1]["index"] is None


def test_results_page_queries_do_not_grow_with_the_province(
    client_for, world, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    campaign = make_campaign(world, units=[world.root])
    submit(campaign, world.school, n=5)
    iso = client_for(world.iso)
    url = f"/surveys/{campaign.pk}/results/"
    iso.get(url)
    with CaptureQueriesContext(connection) as small:
        iso.get(url)
    for i in range(12):
        parent = world.commune if i % 2 else world.commune2
        school = UnitFactory(code=f"S{i}", name=f"Trường {i}", parent=parent)
        submit(campaign, school, n=5 + i % 3)
    with django_assert_max_num_queries(len(small) + 8):  # + releasing the 12 schools, once
        iso.get(url)
    with django_assert_max_num_queries(len(small)):
        page = iso.get(url)
    assert len(page.context["results"].units) == 13


def test_the_task_list_shows_released_figures_and_no_hidden_result(world):
    from ims import worklist

    def titles(user):
        return [i.title for i in worklist.collect(user) if i.kind == "surveys.low_result"]

    campaign = make_campaign(world, units=[world.root], title="Khảo sát phụ huynh")
    submit(campaign, world.school, n=6, likert=2)  # index 25, below 60
    (before,) = titles(world.principal)
    assert "n = 6" in before
    submit(campaign, world.school, likert=1)
    assert titles(world.principal) == [before]
    submit(campaign, world.school2, n=3, likert=2)
    submit(campaign, world.division, n=9, likert=2)
    campaign_close(actor=world.iso, campaign=campaign)
    # The school's figure would reveal TH2's 3 (see above): hidden here as on every page.
    assert titles(world.principal) == []
    assert campaign_results(campaign, world.school).hidden
    (department,) = titles(world.director)
    assert "n = 19" in department


def test_an_optional_question_hidden_at_a_school_cannot_be_worked_out_from_its_commune(
    client_for, world
):
    from surveys.models import Question
    from surveys.services import response_submit
    from tests.surveys.factories import parent_answers

    school_b = UnitFactory(code="TH3", name="Trường Ba", parent=world.commune)
    campaign = make_campaign(world, units=[world.root])
    p6 = Question.objects.get(version=campaign.version, code="p6")  # area "results"
    Question.objects.filter(pk=p6.pk).update(required=False)

    def answer(unit, n, p6_value=None):
        for _ in range(n):
            answers = parent_answers(campaign, likert=4)
            if p6_value is None:
                del answers[str(p6.pk)]
            else:
                answers[str(p6.pk)] = [str(p6_value)]
            response_submit(
                campaign_id=campaign.pk, unit_id=unit.pk, answers=answers, language="vi"
            )

    answer(world.school, 3, p6_value=1)  # school A: 3 answer p6, very dissatisfied
    answer(world.school, 6)
    answer(school_b, 6, p6_value=5)  # school B: 6 answer p6
    answer(school_b, 3)
    answer(world.division, 9, p6_value=3)
    campaign_close(actor=world.iso, campaign=campaign)

    director = client_for(world.director)

    def page(unit):
        return director.get(f"/surveys/{campaign.pk}/results/?unit={unit.pk}").context["results"]

    def p6_stats(results):
        return next(s for _sec, items in results.questions for q, s in items if q.pk == p6.pk)

    commune, b = page(world.commune), page(school_b)
    assert not commune.hidden and not b.hidden and (commune.n, b.n) == (18, 9)
    assert p6_stats(commune).n == 9 and not p6_stats(commune).hidden
    # The commune's 9 minus B's 6 would give A's 3 answers: p6 is hidden at B as at A, and so
    # are every figure pooling it there: its area, the overall index, the schools' rows.
    assert p6_stats(b).hidden and p6_stats(page(world.school)).hidden
    area = next(r for r in b.areas if r.area.pk == p6.area_id)
    assert area.hidden and area.index is None
    assert b.index is None and b.index_hidden
    assert {(r.unit.pk, r.n, r.index) for r in commune.units} == {
        (world.school.pk, 9, None),
        (school_b.pk, 9, None),
    }
    html = director.get(f"/surveys/{campaign.pk}/results/?unit={school_b.pk}").content.decode()
    assert 'data-testid="results-index"' not in html
    # Questions every parent answered stay shown at the school.
    assert any(not s.hidden for _sec, items in b.questions for q, s in items if q.code == "p2")
    board = build(world.commune, SchoolYear.of(campaign.opens_on), user=world.director)
    assert all(row.satisfaction_index is None for row in board.units if not row.is_scope)
    assert_no_hidden_cell_recoverable(campaign, world)
