"""Who sees which dashboard: each user's subtree, drill-down inside it, 404 outside it."""

import pytest
from django.urls import reverse

from tests.dashboard import factories as f

pytestmark = pytest.mark.django_db

URL = reverse("dashboard:index")


@pytest.fixture
def ncs(world):
    """Three open NCs in principal's school, one in principal2's, one at a division."""
    for severity in ("major", "minor", "minor"):
        f.nc(world.school, world.iso, severity=severity)
    f.nc(world.school2, world.iso, severity="major", overdue_actions=1)
    f.nc(world.division, world.iso)


def test_principal_sees_only_their_school(world, ncs, client_for):
    response = client_for(world.principal).get(URL)
    assert response.status_code == 200
    board = response.context["board"]
    assert board.scope == world.school
    assert board.nc["open"] == 3 and board.nc["major"] == 1 and board.nc["overdue"] == 0
    assert board.ancestors == []
    assert board.units == [] or all(r.is_scope for r in board.units)


def test_director_sees_the_province_with_every_child(world, ncs, client_for):
    response = client_for(world.director).get(URL)
    board = response.context["board"]
    assert board.scope == world.root
    assert board.nc["open"] == 5 and board.nc["overdue"] == 1
    rows = {row.unit.code: row for row in board.units}
    assert set(rows) == {"GDTH", "QLCL", "XA1", "XA2"}
    assert rows["XA1"].nc_open == 3 and rows["XA2"].nc_open == 1 and rows["GDTH"].nc_open == 1
    assert rows["XA2"].nc_overdue == 1
    assert b'data-testid="drill-XA1"' in response.content


def test_principal2_numbers_never_include_principals_school(world, ncs, client_for):
    board = client_for(world.principal2).get(URL).context["board"]
    assert board.scope == world.school2
    assert board.nc["open"] == 1 and board.nc["major"] == 1 and board.nc["overdue"] == 1
    assert all(not row.unit.path.startswith(world.school.path) for row in board.units)


def test_outsider_gets_404_for_a_unit_outside_their_subtree(world, ncs, client_for):
    client = client_for(world.principal2)
    for unit in (world.school, world.root, world.commune):
        assert client.get(URL, {"unit": unit.pk}).status_code == 404
    assert client.get(URL, {"unit": "abc"}).status_code == 404
    assert client.get(URL, {"unit": 999999}).status_code == 404


def test_member_with_fewer_rights_is_refused(world, client_for):
    assert client_for(world.teacher).get(URL).status_code == 403
    assert client_for(world.auditor).get(URL).status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_drill_down_from_province_to_commune_to_school_keeps_a_breadcrumb(world, ncs, client_for):
    client = client_for(world.director)
    commune = client.get(URL, {"unit": world.commune.pk})
    board = commune.context["board"]
    assert board.scope == world.commune and board.ancestors == [world.root]
    assert [row.unit for row in board.units if not row.is_scope] == [world.school]
    assert board.nc["open"] == 3
    assert f'href="?unit={world.root.pk}&amp;year='.encode() in commune.content
    school = client.get(URL, {"unit": world.school.pk}).context["board"]
    assert school.scope == world.school and school.ancestors == [world.root, world.commune]


def test_unit_head_sees_their_division(world, ncs, client_for):
    board = client_for(world.head).get(URL).context["board"]
    assert board.scope == world.division and board.nc["open"] == 1


def test_a_year_that_cannot_be_read_shows_the_current_year_and_says_so(world, client_for):
    from ims.schoolyear import SchoolYear

    response = client_for(world.director).get(URL, {"year": "2025-2030"})
    assert response.status_code == 200
    assert response.context["board"].year == SchoolYear.current()
    assert response.context["bad_year"] is True
    future = SchoolYear.current().start_year + 3
    response = client_for(world.director).get(URL, {"year": f"{future}-{future + 1}"})
    assert response.context["bad_year"] is True


def test_home_sends_everyone_managers_included_to_their_task_list(world, client_for):
    tasks = reverse("ims:tasks")
    for user in (world.director, world.iso, world.principal, world.head, world.teacher):
        response = client_for(user).get(reverse("home"))
        assert response.status_code == 302 and response["Location"] == tasks, user


def test_the_task_list_links_managers_to_the_dashboard(world, client_for):
    for user in (world.director, world.iso, world.principal, world.head):
        page = client_for(user).get(reverse("ims:tasks"))
        assert f'href="{URL}"'.encode() in page.content, user
    page = client_for(world.teacher).get(reverse("ims:tasks"))
    assert f'href="{URL}"'.encode() not in page.content


def test_nav_shows_the_dashboard_only_to_those_who_may_open_it(world, client_for):
    assert URL.encode() in client_for(world.principal).get(URL).content
    page = client_for(world.teacher).get(reverse("ims:profile"))
    assert f'href="{URL}"'.encode() not in page.content


def test_an_older_school_year_is_shown_and_its_audit_links_are_not_claimed_exact(world, client_for):
    from ims.schoolyear import SchoolYear

    response = client_for(world.director).get(URL, {"year": "2015-2016"})
    assert response.context["board"].year == SchoolYear(2015)
    assert SchoolYear(2015) in response.context["years"]
    assert response.context["cards"]["audits_planned"][1].exact is False
    current = client_for(world.director).get(URL).context["cards"]["audits_planned"][1]
    assert current.exact is True


def test_a_closed_down_unit_without_records_is_not_listed(world, client_for):
    from tests.factories import UnitFactory

    UnitFactory(code="CU", parent=world.commune, is_active=False)
    kept = UnitFactory(code="CU2", parent=world.commune, is_active=False)
    f.nc(kept, world.iso)
    board = client_for(world.director).get(URL, {"unit": world.commune.pk}).context["board"]
    assert {row.unit.code for row in board.units} == {"TH1", "CU2"}


@pytest.mark.parametrize("value", ["99999999999999999999999", "1e3", "-1", " ", "1;DROP"])
def test_odd_unit_values_are_404_never_500(world, client_for, value):
    assert client_for(world.director).get(URL, {"unit": value}).status_code == 404


def test_dashboard_speaks_vietnamese_by_default_and_lao_on_request(world, client_for):
    client = client_for(world.director)
    assert "Bảng điều khiển" in client.get(URL).content.decode()
    client.post(reverse("set_language"), {"language": "lo"})
    page = client.get(URL).content.decode()
    assert '<html lang="lo">' in page and "ກະດານຄວບຄຸມ" in page


def test_a_principal_of_two_schools_chooses_between_them(world, ncs, client_for):
    from ims.models import Role
    from tests.factories import MembershipFactory

    MembershipFactory(user=world.principal, unit=world.school2, role=Role.PRINCIPAL)
    client = client_for(world.principal)
    response = client.get(URL)
    assert [r.code for r in response.context["roots"]] == ["TH1", "TH2"]
    assert b'id="id_unit"' in response.content
    other = client.get(URL, {"unit": world.school2.pk}).context["board"]
    assert other.scope == world.school2 and other.nc["open"] == 1
    assert client.get(URL, {"unit": world.commune.pk}).status_code == 404
