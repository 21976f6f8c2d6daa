"""The comparison table's links, built once per page and given each row's unit, are the links
``row_links`` builds for that unit."""

import pytest

from dashboard.views import _row_links_fast, row_links
from ims.schoolyear import SchoolYear

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("own_records", [False, True])
def test_fast_links_equal_the_links_of_each_unit(world, own_records):
    year = SchoolYear.current()
    templates = {}
    for unit in (world.division, world.commune, world.school, world.root):
        fast = _row_links_fast(templates, unit, year, own_records)
        assert fast == row_links(unit, year, own_records=own_records)
