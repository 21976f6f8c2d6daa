"""Each number of the comparison table equals the register it links to, read as the viewer,
and the findings counted are those the findings' own access rule lets the viewer see."""

import html
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audits.models import Audit, FindingQuerySet
from ims.schoolyear import SchoolYear
from tests.dashboard import factories as f

pytestmark = pytest.mark.django_db
CELL = re.compile(r'<a href="([^"]+)" data-count="(\d+)" data-exact="1">')


def overdue_audit(world, programme_unit, scope_unit):
    year = SchoolYear.current()
    record = f.audit(
        f.programme(programme_unit, world.iso, year),
        scope_unit,
        world.iso,
        status=Audit.Status.REPORTING,
        end=max(year.first_day, timezone.localdate() - timedelta(days=60)),
    )
    assert Audit.objects.report_overdue(timezone.localdate()).filter(pk=record.pk).exists()
    return record


def test_overdue_audits_per_unit_equal_the_audit_list(world, client_for):
    # The programme is the commune's; the audit covers the other commune's school. The audit
    # list finds it under both communes: so does the comparison table.
    overdue_audit(world, world.commune, world.school2)
    client = client_for(world.director)
    response = client.get(reverse("dashboard:index"))
    rows = {row.unit.pk: row.audit_overdue for row in response.context["board"].units}
    assert rows[world.commune.pk] == 1 and rows[world.commune2.pk] == 1
    assert rows[world.division.pk] == 0
    page = response.content.decode()
    checked = 0
    for url, number in CELL.findall(page):
        url = html.unescape(url)
        if reverse("audits:audit_list") not in url or "overdue=on" not in url:
            continue
        listed = client.get(url).context["page"].paginator.count
        assert listed == int(number), url
        checked += 1
    assert checked >= 4  # the card and each child unit's cell


def test_dashboard_counts_findings_through_their_access_rule(world, client_for, monkeypatch):
    audit = overdue_audit(world, world.root, world.school)
    f.finding(audit, world.school, world.iso)
    client = client_for(world.principal)
    board = client.get(reverse("dashboard:index")).context["board"]
    assert board.audits["findings"] == 1
    # When the findings' rule hides them from the principal, the dashboard does too.
    monkeypatch.setattr(FindingQuerySet, "for_user", lambda self, user: self.none())
    from django.core.cache import cache

    cache.clear()
    board = client.get(reverse("dashboard:index")).context["board"]
    assert board.audits["findings"] == 0 and board.grades == []
