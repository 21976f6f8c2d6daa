"""Where ``ims.access`` lets the viewer see every row of the scope's subtree, the dashboard
skips that register's ``for_user`` filter (it only costs time): the numbers are the same."""

import pytest
from django.core.cache import cache

from dashboard import indicators
from ims.models import Role
from ims.schoolyear import SchoolYear
from tests.dashboard import factories as f
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def numbers(board):
    return (
        board.nc,
        board.documents,
        [(row.unit.code, row.nc_open, row.nc_overdue, row.doc_overdue) for row in board.units],
        [(row.unit.code, row.nc_open) for row in board.attention],
        board.groups,
        board.areas,
        [(row.unit.code, row.satisfaction_n, row.satisfaction_index) for row in board.units],
    )


def populate(world):
    for unit in (world.school, world.school2, world.division, world.commune, world.root):
        f.nc(unit, world.iso, overdue_actions=1)
        f.nc(unit, world.iso, severity="major", age=60)
        f.document(unit, world.iso, next_review=SchoolYear.current().first_day)
    year = SchoolYear.current()
    version, questions = f.instrument(world.root, world.iso)
    province = f.campaign(version, world.root, opens_on=f.in_year(year, 11))
    # A school's own campaign, owned and aimed there: only its members and those above see it.
    own_version, own_questions = f.instrument(world.school2, world.iso)
    own = f.campaign(own_version, world.school2, opens_on=f.in_year(year, 12))
    for school in (world.school, world.school2):
        f.answers(province, school, questions, n=6, value=4)
    f.answers(own, world.school2, own_questions, n=6, value=2)
    # Visible to principal2 only as its verifier: outside their units.
    record = f.nc(world.school, world.iso)
    record.planned_verifier = world.principal2
    record.save()


@pytest.mark.parametrize(
    "username,unit",
    [
        ("director", "root"),
        ("director", "commune"),
        ("iso", "root"),
        ("head", "division"),
        ("principal", "school"),
        ("principal2", "school2"),
        ("teacher", "school"),
    ],
)
def test_skipping_the_filter_changes_no_number(world, monkeypatch, username, unit):
    populate(world)
    user, scope = getattr(world, username), getattr(world, unit)
    year = SchoolYear.current()
    shortcut = numbers(indicators.build(scope, year, user=user))
    cache.clear()
    monkeypatch.setattr(
        indicators,
        "_viewers",
        lambda scope, user: {"nonconformities": user, "documents": user, "campaigns": user},
    )
    filtered = numbers(indicators.build(scope, year, user=user))
    assert shortcut == filtered


def test_filter_kept_where_it_may_remove_rows(world):
    assert indicators._viewers(world.school, world.teacher) == {
        "nonconformities": None,  # a member of the school sees all its NCs
        "documents": world.teacher,  # but not every document owned there
        "campaigns": None,
    }
    assert indicators._viewers(world.root, world.director) == {
        "nonconformities": None,
        "documents": None,
        "campaigns": None,
    }
    outsider = UserFactory(username="outsider")
    MembershipFactory(user=outsider, unit=world.school2, role=Role.DIRECTOR)
    assert indicators._viewers(world.school, outsider) == {
        "nonconformities": outsider,
        "documents": outsider,
        "campaigns": outsider,
    }
