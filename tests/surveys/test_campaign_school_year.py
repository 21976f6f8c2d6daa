"""Campaigns are filed under the school year of their dates, and their titles show it."""

from datetime import date

import pytest

from surveys.models import Campaign, title_with_year
from tests.surveys.factories import make_campaign

pytestmark = pytest.mark.django_db


def test_a_title_shows_the_school_year_of_the_dates_unless_it_names_it():
    assert title_with_year("Khảo sát phụ huynh", date(2026, 11, 17)) == (
        "Khảo sát phụ huynh (2026–2027)"
    )
    assert title_with_year("Khảo sát năm học 2026-2027", date(2027, 3, 1)) == (
        "Khảo sát năm học 2026-2027"
    )
    # August still belongs to the year that began the September before.
    assert title_with_year("Đợt hè", date(2027, 8, 31)).endswith("(2026–2027)")
    # A title naming another year keeps its words and shows the real one.
    assert title_with_year("Khảo sát năm học 2025–2026", date(2026, 11, 17)).endswith("(2026–2027)")


def test_the_list_files_campaigns_by_school_year_and_shows_it(world, client_for):
    autumn = make_campaign(
        world, title="Khảo sát phụ huynh", opens_on=date(2026, 9, 20), closes_on=date(2026, 10, 5)
    )
    summer = make_campaign(
        world, title="Khảo sát hè", opens_on=date(2026, 8, 10), closes_on=date(2026, 9, 15)
    )
    client = client_for(world.iso)
    response = client.get("/surveys/", {"year": "2026-2027"})
    assert list(response.context["page"].object_list) == [autumn]
    page = response.content.decode()
    assert "Khảo sát phụ huynh (2026–2027)" in page
    assert 'name="year"' in page and 'value="2026-2027" selected' in page
    response = client.get("/surveys/", {"year": "2025-2026"})
    assert list(response.context["page"].object_list) == [summer]
    assert "Khảo sát hè (2025–2026)" in response.content.decode()
    detail = client.get(f"/surveys/{summer.pk}/").content.decode()
    assert "<h1>Khảo sát hè (2025–2026)" in detail


def test_a_title_naming_another_school_year_is_refused(world, client_for):
    template = make_campaign(world, units=[world.school], publish=False)
    data = {
        "version": template.version.pk,
        "title": "Khảo sát phụ huynh năm học 2025–2026",
        "group": "parents",
        "owner_unit": world.school.pk,
        "units": [world.school.pk],
        "opens_on": "2026-11-10",
        "closes_on": "2026-11-30",
    }
    client = client_for(world.principal)
    response = client.post("/surveys/new/", data)
    assert response.status_code == 200 and Campaign.objects.count() == 1
    assert "2026–2027" in response.content.decode()
    data["title"] = "Khảo sát phụ huynh năm học 2026–2027"
    assert client.post("/surveys/new/", data).status_code == 302
    assert Campaign.objects.count() == 2
