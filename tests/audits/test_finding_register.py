"""The findings register, and the audit list's unit and "done" filters."""

import html
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audits.forms import UNIT_CHOICES_LIMIT, AuditFilterForm
from audits.models import Audit, AuditProgramme, Finding
from tests.audits.factories import ProgrammeFactory, make_audit, make_finding
from tests.audits.test_pages import _count_queries
from tests.factories import UnitFactory

URL = "audits:finding_list"


def _statements(response):
    assert response.status_code == 200
    return {f.statement for f in response.context["page"].object_list}


@pytest.fixture
def findings(world):
    """A finding at school (TH1) and one at school2 (TH2), in a 2025 programme."""
    audit1 = make_audit(world, status=Audit.Status.IN_PROGRESS, scope=[world.school])
    audit2 = make_audit(world, status=Audit.Status.IN_PROGRESS, scope=[world.school2])
    audit2.auditees.set([world.principal2])
    first = make_finding(audit1, world, code="major_nc", statement="Sổ điểm lớp 4B thiếu chữ ký")
    second = make_finding(audit2, world, code="ofi", statement="Cải tiến thư viện")
    second.unit = world.school2
    second.save()
    return first, second


def test_owner_member_and_outsider_see_only_their_findings(world, client_for, findings):
    url = reverse(URL)
    assert _statements(client_for(world.iso).get(url)) == {
        "Sổ điểm lớp 4B thiếu chữ ký",
        "Cải tiến thư viện",
    }
    assert _statements(client_for(world.principal).get(url)) == {"Sổ điểm lớp 4B thiếu chữ ký"}
    assert _statements(client_for(world.principal2).get(url)) == {"Cải tiến thư viện"}
    assert _statements(client_for(world.head).get(url)) == set()


def test_register_needs_login(client):
    response = client.get(reverse(URL))
    assert response.status_code == 302 and "login" in response["Location"]


def test_filters_year_unit_grade_status_and_accentless_search(world, client_for, findings):
    first, _second = findings
    client = client_for(world.iso)
    url = reverse(URL)
    assert _statements(client.get(url, {"q": "so diem LOP 4b"})) == {first.statement}
    assert _statements(client.get(url, {"q": first.audit.code})) == {first.statement}
    assert _statements(client.get(url, {"unit": world.commune.pk})) == {first.statement}
    assert _statements(client.get(url, {"grade": "ofi"})) == {"Cải tiến thư viện"}
    assert _statements(client.get(url, {"year": 2025})) == {first.statement, "Cải tiến thư viện"}
    assert _statements(client.get(url, {"year": 2024})) == set()
    Finding.objects.filter(pk=first.pk).update(status="closed", closed_at=timezone.now())
    assert _statements(client.get(url, {"status": "open"})) == {"Cải tiến thư viện"}
    # an old year (outside the last five) is still a valid filter
    old = ProgrammeFactory(unit=world.root, owner=world.iso, start_year=2015)
    make_finding(make_audit(world, programme=old), world, statement="Năm học cũ")
    assert _statements(client.get(url, {"year": 2015})) == {"Năm học cũ"}
    # bad input: the page still answers, nothing filtered by the bad value
    assert client.get(url, {"grade": "nonsense", "unit": "x", "year": "abc"}).status_code == 200


def test_audit_unit_and_age_filters(world, client_for, findings):
    first, second = findings
    client = client_for(world.iso)
    url = reverse(URL)
    assert _statements(client.get(url, {"audit_unit": world.commune2.pk})) == {second.statement}
    Finding.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(days=45))
    assert _statements(client.get(url, {"status": "open", "age": "31-60"})) == {first.statement}
    assert _statements(client.get(url, {"status": "open", "age": "0-30"})) == {second.statement}


def test_a_unit_the_user_does_not_see_is_not_a_filter_that_leaks(world, client_for, findings):
    response = client_for(world.principal).get(reverse(URL), {"unit": world.school2.pk})
    assert response.status_code == 200 and response.context["form"].errors
    assert _statements(response) == {"Sổ điểm lớp 4B thiếu chữ ký"}


def test_register_is_paginated_by_25_with_a_flat_query_count(world, client_for):
    client = client_for(world.iso)
    small = make_audit(world, status=Audit.Status.IN_PROGRESS)
    for _ in range(3):
        make_finding(small, world)
    _count_queries(client, reverse(URL))
    few = _count_queries(client, reverse(URL))
    large = make_audit(world, status=Audit.Status.IN_PROGRESS)
    for _ in range(40):
        make_finding(large, world)
    response = client.get(reverse(URL))
    assert len(response.context["page"].object_list) == 25
    assert _count_queries(client, reverse(URL)) == few


def test_programme_numbers_link_to_the_register_with_the_same_counts(world, client_for):
    audit = make_audit(world, status=Audit.Status.IN_PROGRESS)
    for code in ("major_nc", "minor_nc", "minor_nc"):
        make_finding(audit, world, code=code)
    client = client_for(world.iso)
    programme = AuditProgramme.objects.get()
    page = client.get(programme.get_absolute_url()).content.decode()
    base = reverse(URL)
    links = re.findall(rf'href="({re.escape(base)}\?[^"]+)" data-count="(\d+)"', page)
    assert len(links) == 5 + 4  # five grades, four age buckets
    for url, n in links:
        assert client.get(html.unescape(url)).context["page"].paginator.count == int(n), url
    assert any(n == "2" for _u, n in links)


def test_audit_list_unit_filter_matches_scope_or_programme_unit(world, client_for):
    in_school = make_audit(world, title="Trường Tô Hiệu", scope=[world.school])
    in_school2 = make_audit(world, title="Trường Chiềng Sinh", scope=[world.school2])
    division_programme = ProgrammeFactory(unit=world.commune2, owner=world.iso, start_year=2025)
    by_programme = make_audit(
        world, title="Chương trình của phường", scope=[world.root], programme=division_programme
    )
    client = client_for(world.iso)
    url = reverse("audits:audit_list")

    def titles(**params):
        return {a.title for a in client.get(url, params).context["page"].object_list}

    assert titles(unit=world.commune.pk) == {in_school.title}
    assert titles(unit=world.commune2.pk) == {in_school2.title, by_programme.title}
    assert titles(unit=world.root.pk) == {in_school.title, in_school2.title, by_programme.title}


def test_audit_list_done_groups_issued_and_closed(world, client_for):
    make_audit(world, title="Đã phát hành", status=Audit.Status.REPORT_ISSUED)
    make_audit(world, title="Đã đóng", status=Audit.Status.CLOSED)
    make_audit(world, title="Đang làm", status=Audit.Status.IN_PROGRESS)
    response = client_for(world.iso).get(reverse("audits:audit_list"), {"status": "done"})
    assert {a.title for a in response.context["page"].object_list} == {"Đã phát hành", "Đã đóng"}


def test_unit_choices_stay_short_at_province_scale_but_accept_any_visible_unit(world):
    communes = [UnitFactory(code=f"XA-{i}", name=f"Xã {i}", parent=world.root) for i in range(20)]
    schools = [
        UnitFactory(code=f"TH-{i}", name=f"Trường {i}", parent=communes[i % 20])
        for i in range(UNIT_CHOICES_LIMIT)
    ]
    form = AuditFilterForm({"unit": schools[7].pk}, user=world.iso)
    assert form.is_valid() and form.cleaned_data["unit"] == schools[7]
    listed = [value for value, _label in form.fields["unit"].widget.choices if value]
    assert len(listed) < 40
    assert schools[7].pk in listed and schools[8].pk not in listed
    assert communes[3].pk in listed
    small = AuditFilterForm(user=world.principal)
    assert [v for v, _l in small.fields["unit"].widget.choices if v] == [world.school.pk]
