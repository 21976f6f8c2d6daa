"""My audits today: today's audits, then the next 7 days, then the other open ones, each in its
own section; only the person's own audits, in a flat number of queries."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audits.models import Audit
from tests.audits.factories import make_audit

pytestmark = pytest.mark.django_db

URL = reverse("audits:audit_today")


def _titles(audits):
    return [a.title for a in audits]


@pytest.fixture
def audits(world):
    today = timezone.localdate()
    days = timedelta(days=1)

    def audit(title, status, start, end=None):
        return make_audit(
            world, title=title, status=status, planned_start=start, planned_end=end or start
        )

    return [
        audit("Hôm nay", Audit.Status.IN_PROGRESS, today),
        audit("Từ hôm qua", Audit.Status.IN_PROGRESS, today - days, today + days),
        audit("Ngày mai", Audit.Status.PLAN_APPROVED, today + days),
        audit("Tuần sau", Audit.Status.PLAN_APPROVED, today + 7 * days),
        audit("Tám ngày nữa", Audit.Status.PLANNED, today + 8 * days),
        audit("Còn dở", Audit.Status.REPORTING, today - 20 * days),
        audit("Đã ban hành", Audit.Status.REPORT_ISSUED, today),
    ]


def test_today_then_the_next_7_days_then_the_rest(world, client_for, audits):
    response = client_for(world.auditor).get(URL)
    context = response.context
    assert _titles(context["on_today"]) == ["Hôm nay", "Từ hôm qua"]
    assert _titles(context["upcoming"]) == ["Ngày mai", "Tuần sau"]
    assert _titles(context["others"]) == ["Còn dở", "Tám ngày nữa"]
    page = response.content.decode()
    sections = [
        page.index('data-testid="today-section"'),
        page.index('data-testid="upcoming-section"'),
        page.index('data-testid="others-section"'),
    ]
    assert sections == sorted(sections)
    assert sections[0] < page.index("Hôm nay") < page.index("Từ hôm qua") < sections[1]
    assert sections[1] < page.index("Ngày mai") < page.index("Tuần sau") < sections[2]
    assert sections[2] < page.index("Còn dở") and "Đã ban hành" not in page


def test_empty_sections_say_so_and_no_rest_section(world, client_for):
    soon = timezone.localdate() + timedelta(days=2)
    make_audit(world, title="Tuần sau", planned_start=soon, planned_end=soon)
    page = client_for(world.auditor).get(URL).content.decode()
    assert 'data-testid="today-section"' in page and "Tuần sau" in page
    assert 'data-testid="others-section"' not in page


def test_member_sees_their_audits_and_outsider_none(world, client_for, audits):
    auditee = client_for(world.principal).get(URL)  # an auditee of every audit
    assert _titles(auditee.context["on_today"]) == ["Hôm nay", "Từ hôm qua"]
    outsider = client_for(world.principal2).get(URL)
    assert outsider.status_code == 200 and "Hôm nay" not in outsider.content.decode()
    assert not outsider.context["audits"]


def test_the_page_stays_flat_as_audits_grow(
    world, client_for, audits, django_assert_max_num_queries
):
    client = client_for(world.auditor)
    client.get(URL)  # warm the session
    with django_assert_max_num_queries(12) as before:
        client.get(URL)
    make_audit(world, title="Thêm", status=Audit.Status.IN_PROGRESS)
    soon = timezone.localdate() + timedelta(days=3)
    make_audit(world, title="Thêm nữa", planned_start=soon, planned_end=soon)
    with django_assert_max_num_queries(len(before)):
        client.get(URL)
