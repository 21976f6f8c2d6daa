"""The satisfaction card compares like with like: a unit's figures come only from campaigns
aimed at it or at a unit above it, so a pulse survey of a few schools never stands for the
province, nor hides the other units' figures."""

from datetime import timedelta

import pytest

from dashboard.indicators import build
from ims.schoolyear import SchoolYear
from surveys.models import Campaign, CampaignUnit
from tests.dashboard import factories as f

pytestmark = pytest.mark.django_db


def board_of(scope, user):
    return build(scope, SchoolYear.current(), user=user)


def pulse(version, world, opens_on):
    """A campaign of the Department aimed at two schools only."""
    record = f.campaign(version, world.root, opens_on=opens_on)
    CampaignUnit.objects.filter(campaign=record).update(unit=world.school)
    CampaignUnit.objects.create(campaign=record, unit=world.school2)
    return record


def test_a_two_school_pulse_survey_does_not_replace_the_province_figure(world):
    year = SchoolYear.current()
    version, questions = f.instrument(world.root, world.iso)
    province = f.campaign(version, world.root, opens_on=year.first_day + timedelta(days=5))
    f.answers(province, world.school, questions, n=1200, value=4)  # index 75
    f.answers(province, world.school2, questions, n=1025, value=3)  # index 50
    large = board_of(world.root, world.director)
    (before,) = large.groups
    assert before["latest"]["n"] == 2225

    small = pulse(version, world, opens_on=year.first_day + timedelta(days=40))
    f.answers(small, world.school, questions, n=3, value=2)
    f.answers(small, world.school2, questions, n=3, value=2)  # 6 answers, index 25
    board = board_of(world.root, world.director)
    (group,) = board.groups
    assert group["campaign_id"] == province.pk
    assert group["latest"] == before["latest"]
    assert group["latest"]["n"] == 2225 and round(group["latest"]["index"], 1) == 63.5
    # The other units keep their figures from the province-wide campaign.
    rows = {row.unit.code: row for row in board.units}
    assert rows["XA1"].satisfaction_n == 1200 and rows["XA1"].satisfaction_index == 75
    assert rows["XA2"].satisfaction_n == 1025 and rows["XA2"].satisfaction_index == 50
    # The trend pools only the campaigns covering the province.
    _label, points = board.satisfaction_trend[0]
    assert points[-1]["n"] == 2225


def test_a_school_covered_by_both_compares_the_pulse_with_the_province_campaign(world):
    year = SchoolYear.current()
    version, questions = f.instrument(world.root, world.iso)
    province = f.campaign(version, world.root, opens_on=year.first_day + timedelta(days=5))
    f.answers(province, world.school, questions, n=20, value=4)
    small = pulse(version, world, opens_on=year.first_day + timedelta(days=40))
    f.answers(small, world.school, questions, n=8, value=2)
    (group,) = board_of(world.school, world.principal).groups
    assert (group["campaign_id"], group["previous_id"]) == (small.pk, province.pk)
    assert group["latest"]["index"] == 25 and group["previous"]["index"] == 75
    assert group["change"] == -50


def test_area_change_compares_the_same_groups_on_both_sides(world):
    year = SchoolYear.current()
    parents, parent_questions = f.instrument(world.root, world.iso)
    students, student_questions = f.instrument(world.root, world.iso, group="learners")
    old = f.campaign(parents, world.root, opens_on=f.in_year(year.previous(), 11))
    new = f.campaign(parents, world.root, opens_on=year.first_day + timedelta(days=5))
    only = f.campaign(
        students, world.root, opens_on=year.first_day + timedelta(days=6), group="learners"
    )
    f.answers(old, world.school, parent_questions, n=10, value=3)  # 50
    f.answers(new, world.school, parent_questions, n=10, value=4)  # 75
    f.answers(only, world.school, student_questions, n=10, value=1)  # 0, no previous
    board = board_of(world.root, world.director)
    assert len(board.areas) == 2 and len(board.groups) == 2
    for area in board.areas:
        # Parents went from 50 to 75; the students' first campaign is no change.
        assert area["change"] == 25


def test_a_group_no_campaign_covers_shows_the_campaigns_inside_marked_partial(world):
    year = SchoolYear.current()
    version, questions = f.instrument(world.root, world.iso, group="staff")
    staff = pulse(version, world, opens_on=year.first_day + timedelta(days=5))
    Campaign.objects.filter(pk=staff.pk).update(group="staff")
    f.answers(staff, world.school, questions, n=6, value=4)
    (group,) = board_of(world.root, world.director).groups
    assert group["campaign_id"] == staff.pk and group["partial"]
    assert group["latest"]["n"] == 6
    # At the school, the same campaign covers it: not partial.
    (group,) = board_of(world.school, world.principal).groups
    assert group["campaign_id"] == staff.pk and not group["partial"]
