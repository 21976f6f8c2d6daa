"""Coverage names only people the viewer manages: the "not yet acknowledged" names on a
document page and on the unit coverage page are those in units where the viewer is a head, a
principal or a manager (and below). Everyone else sees counts only."""

import pytest
from django.urls import reverse

from ims.models import Role
from tests.documents.factories import effective_document
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def _staff(unit, name):
    person = UserFactory(full_name=name)
    MembershipFactory(user=person, unit=unit, role=Role.STAFF)
    return person


@pytest.fixture
def province(world):
    """QT-01 of the quality division, distributed to the whole Department; a teacher at each
    school (the first school's is ``world.teacher``), nobody has acknowledged yet."""
    world.teacher.full_name = "Lò Văn Nam"
    world.teacher.save(update_fields=["full_name"])
    world.principal2.full_name = "Đinh Thị Thu"
    world.principal2.save(update_fields=["full_name"])
    world.teacher2 = _staff(world.school2, "Quàng Thị Mai")
    world.document = effective_document(world, code="QT-01", distribute_to=[world.root])
    return world


def _page(client_for, user, document):
    response = client_for(user).get(reverse("documents:document_detail", args=[document.pk]))
    assert response.status_code == 200
    return response.context["coverage"], response.content.decode()


def _names(people):
    return {p.full_name for p in people}


def test_manager_sees_every_name(province, client_for):
    coverage, html = _page(client_for, province.iso, province.document)
    assert {"Lò Văn Nam", "Đinh Thị Thu", "Quàng Thị Mai"} <= _names(coverage["missing"])
    assert coverage["hidden"] == 0
    assert "Đinh Thị Thu" in html and "Quàng Thị Mai" in html


def test_principal_sees_only_their_schools_names(province, client_for):
    coverage, html = _page(client_for, province.principal, province.document)
    assert _names(coverage["missing"]) == {province.principal.full_name, "Lò Văn Nam"}
    assert coverage["hidden"] == coverage["total"] - 2  # the rest are counted, not named
    assert "Lò Văn Nam" in html
    assert "Đinh Thị Thu" not in html and "Quàng Thị Mai" not in html
    # principal2 sees their own school's teacher, not the first school's
    coverage, html = _page(client_for, province.principal2, province.document)
    assert _names(coverage["missing"]) == {"Đinh Thị Thu", "Quàng Thị Mai"}
    assert "Lò Văn Nam" not in html


def test_teacher_sees_counts_only(province, client_for):
    coverage, html = _page(client_for, province.teacher, province.document)
    assert coverage["missing"] == []
    assert all(u["missing"] == [] for u in coverage["units"])
    assert coverage["hidden"] == coverage["total"] > 0
    assert 'data-testid="coverage-hidden"' in html  # the count of those not named
    for name in ("Đinh Thị Thu", "Quàng Thị Mai", province.principal.full_name):
        assert name not in html


def test_unit_coverage_page_names_only_managed_people(province, client_for):
    url = reverse("documents:unit_coverage")
    school = f"{url}?unit={province.school.pk}"
    [row] = client_for(province.principal).get(school).context["rows"]
    assert _names(row["missing"]) == {province.principal.full_name, "Lò Văn Nam"}
    [row] = client_for(province.teacher).get(school).context["rows"]
    assert (row["missing"], row["hidden"], row["total"]) == ([], 2, 2)
    response = client_for(province.principal).get(f"{url}?unit={province.root.pk}")
    assert response.context["rows"] == []  # principal cannot choose the Department
    [row] = client_for(province.iso).get(f"{url}?unit={province.root.pk}").context["rows"]
    assert {"Lò Văn Nam", "Đinh Thị Thu", "Quàng Thị Mai"} <= _names(row["missing"])
    assert row["hidden"] == 0
    response = client_for(province.principal2).get(school)
    assert response.context["rows"] == []  # the outsider cannot choose the other school


def test_division_head_names_their_division_only(province, client_for):
    coverage, _ = _page(client_for, province.head, province.document)
    assert _names(coverage["missing"]) == {province.head.full_name, province.auditor.full_name}


def test_document_page_query_count_is_flat(province, client_for, django_assert_max_num_queries):
    client = client_for(province.principal)
    url = reverse("documents:document_detail", args=[province.document.pk])
    with django_assert_max_num_queries(40) as few:
        assert client.get(url).status_code == 200
    for i in range(30):
        _staff(province.school if i % 2 else province.school2, f"Giáo viên {i}")
    with django_assert_max_num_queries(40) as many:
        response = client.get(url)
    assert response.context["coverage"]["total"] > 30
    assert len(many.captured_queries) == len(few.captured_queries)


def test_unit_coverage_query_count_is_flat(province, client_for, django_assert_max_num_queries):
    client = client_for(province.principal)
    url = reverse("documents:unit_coverage") + f"?unit={province.school.pk}"
    with django_assert_max_num_queries(20) as few:
        assert client.get(url).status_code == 200
    for i in range(30):
        _staff(province.school, f"Giáo viên {i}")
    effective_document(province, code="QT-02", distribute_to=[province.school])
    with django_assert_max_num_queries(20) as many:
        response = client.get(url)
    assert [r["total"] for r in response.context["rows"]] == [32, 32]
    assert len(many.captured_queries) == len(few.captured_queries)
