"""The comparison table's row for the scope's own records (records of the scope unit itself,
not of the units below it) links to the registers filtered to that unit alone, and each of its
numbers equals the register's count; the registers' "this unit only" box does the filtering."""

import html
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ims.schoolyear import SchoolYear
from tests.dashboard import factories as f
from tests.dashboard.test_demo_numbers import register_count

pytestmark = pytest.mark.django_db

OWN_ROW = re.compile(r'<tr[^>]*data-scope-row="1"[^>]*>(.*?)</tr>', re.S)
LINK = re.compile(r'<a [^>]*href="([^"]+)"[^>]*data-count="(\d+)"[^>]*data-exact="1"')


def own_row_links(client, unit):
    response = client.get(reverse("dashboard:index"), {"unit": unit.pk})
    row = OWN_ROW.search(response.content.decode())
    assert row, "the scope's own row is shown when the scope unit holds records"
    return [(html.unescape(url), int(n)) for url, n in LINK.findall(row.group(1))]


def test_scope_own_row_numbers_equal_the_registers_for_that_unit_alone(world, client_for):
    today = timezone.localdate()
    # Records of the commune itself, and more of a school below it.
    for unit in (world.commune, world.school, world.school):
        f.nc(unit, world.iso, severity="major", overdue_actions=1)
        f.document(unit, world.iso, next_review=today - timedelta(days=3))
    programme = f.programme(world.root, world.iso, SchoolYear.current())
    audit = f.audit(programme, world.commune, world.iso)
    for unit in (world.commune, world.school):
        f.finding(audit, unit, world.auditor, "minor_nc")
    client = client_for(world.director)
    links = own_row_links(client, world.commune)
    # Open, major, with overdue actions, reviews overdue, reviews due (none), open findings.
    assert [number for _url, number in links] == [1, 1, 1, 1, 0, 1]
    for url, number in links:
        assert "unit_only=on" in url, url
        assert register_count(client.get(url)) == number, url
        # The same filters over the subtree count the school's records too.
        subtree = register_count(client.get(url.replace("unit_only=on", "")))
        assert subtree > number or number == 0, url


@pytest.mark.parametrize(
    "register", ["nonconformities:register", "documents:register", "audits:finding_list"]
)
def test_this_unit_only_box_is_offered_and_kept(world, client_for, register):
    client = client_for(world.director)
    page = client.get(reverse(register), {"unit": world.commune.pk, "unit_only": "on"})
    assert page.status_code == 200
    assert re.search(r'<input[^>]*name="unit_only"[^>]*checked', page.content.decode())
