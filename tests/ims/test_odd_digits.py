"""Characters that ``str.isdigit`` accepts but ``int`` refuses ("²") are a 404 or are ignored,
never a 500, in URLs, query strings and forms."""

import pytest
from django.urls import reverse

from ims.schoolyear import SchoolYear

pytestmark = pytest.mark.django_db

ODD = "²"


def test_superscript_digit_is_not_a_school_year():
    assert SchoolYear.parse(f"{ODD * 4}-{ODD * 4}") is None
    assert SchoolYear.parse("2025-2026") == SchoolYear(2025)


@pytest.mark.parametrize(
    "url",
    [
        "/audits/?unit=²&year=²",
        "/audits/findings/?unit=²&year=²&audit=²",
        "/audits/revisions/?q=QT-01+²",
        "/audits/new/?programme=²",
        "/dashboard/?unit=²&year=²",
        "/documents/?unit=²",
        "/nonconformities/?unit=²",
        "/surveys/?unit=²",
        "/notifications/?page=²",
    ],
)
def test_odd_digits_in_query_strings_are_no_500(client_for, world, url):
    response = client_for(world.director).get(url)
    assert response.status_code in {200, 302, 403, 404}


def test_odd_digits_in_a_path_are_a_404(client_for, world):
    assert client_for(world.director).get("/org/²/").status_code == 404
    assert client_for(world.director).get("/audits/²/").status_code == 404


def test_odd_digits_in_posted_ids_are_ignored(client_for, world):
    response = client_for(world.director).post(reverse("ims:notification_read"), {"id": ODD})
    assert response.status_code == 302
