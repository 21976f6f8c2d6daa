"""The dashboard runs a fixed number of queries, whatever the amount of data."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audits.models import Audit
from ims.schoolyear import SchoolYear
from tests.dashboard import factories as f
from tests.factories import UnitFactory

pytestmark = pytest.mark.django_db

MAX_QUERIES = 20
# The satisfaction card's figures (``surveys.results``): the released and live n per unit (2)
# and the Likert questions' areas (1); releasing new figures where due (8 in a test's
# savepoint, 6 outside), once per step of 5 responses.
RELEASED_FIGURES = 3
RELEASE_QUERIES = 8


def populate(world, scale):
    """``scale`` × (schools with NCs, actions, documents, audits, findings and survey answers)."""
    today = timezone.localdate()
    year = SchoolYear.current()
    programme = f.programme(world.root, world.iso, year)
    version, questions = f.instrument(world.root, world.iso)
    campaigns = [
        f.campaign(version, world.root, opens_on=year.first_day + timedelta(days=5)),
        f.campaign(version, world.root, opens_on=f.in_year(year.previous(), 11)),
    ]
    for i in range(scale):
        commune = world.commune if i % 2 else world.commune2
        school = UnitFactory(parent=commune)
        for severity, age, late in (("major", 10, 1), ("minor", 45, 0), ("minor", 120, 2)):
            f.nc(school, world.iso, severity=severity, age=age, overdue_actions=late)
        f.document(school, world.principal, next_review=today - timedelta(days=i + 1))
        f.document(school, world.principal, next_review=today + timedelta(days=10))
        audit = f.audit(
            programme, school, world.iso, status=Audit.Status.REPORTING, end=today - timedelta(20)
        )
        f.finding(audit, school, world.auditor, "minor_nc")
        f.finding(audit, school, world.auditor, "major_nc")
        for campaign in campaigns:
            f.answers(campaign, school, questions, n=3 + i % 4, value=3 + i % 3)


def queries(client, **params):
    ContentType.objects.clear_cache()  # every measurement starts cold
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("dashboard:index"), params)
    assert response.status_code == 200
    return len(captured.captured_queries), response


def test_query_count_is_flat_between_small_and_ten_times_larger_data(world, client_for):
    client = client_for(world.director)
    populate(world, 3)
    small, response = queries(client)
    assert response.context["board"].nc["open"] == 9
    populate(world, 27)  # 30 schools in all: ten times the first dataset
    large, response = queries(client)
    board = response.context["board"]
    assert board.nc["open"] == 90 and board.audits["planned"] == 30
    assert board.groups and board.documents["overdue"] == 30
    # Both releases the new figures below the Department (``surveys.results``).
    assert small == large <= MAX_QUERIES + RELEASED_FIGURES + RELEASE_QUERIES
    drilled, _response = queries(client, unit=world.commune.pk, sort="name")
    assert drilled <= MAX_QUERIES + RELEASED_FIGURES
    # The workbook reads the same numbers: no more queries than the page.
    exported, _response = queries(client, format="xlsx")
    assert exported <= large
