"""The coverage page: a total row, the units below (from the roll-up), most missing first, export."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from documents import coverage, services
from tests.documents.factories import effective_document

pytestmark = pytest.mark.django_db


def _page(client, **params):
    return client.get(reverse("documents:unit_coverage"), params)


@pytest.fixture
def two_documents(world):
    a = effective_document(world, code="QT-A", distribute_to=[world.school, world.school2])
    b = effective_document(world, code="QT-B", distribute_to=[world.school])
    for user in (world.teacher, world.principal, world.principal2):
        services.revision_opened(a.effective_revision, actor=user, via="view")
        services.revision_acknowledge(a.effective_revision, actor=user)
    coverage.rebuild()
    return a, b


def test_total_row_and_most_missing_first(world, client_for, two_documents):
    iso = client_for(world.iso)
    response = _page(iso, unit=world.root.pk, sort="missing")
    rows = response.context["rows"]
    assert [r["revision"].document.code for r in rows] == ["QT-B", "QT-A"]
    assert response.context["total"] == {"total": 5, "done": 3, "missing": 2, "percent": 60}
    assert 'data-testid="coverage-total"' in response.content.decode()
    by_code = _page(iso, unit=world.root.pk).context["rows"]
    assert [r["revision"].document.code for r in by_code] == ["QT-A", "QT-B"]


def test_units_below_come_from_the_rollup(world, client_for, two_documents):
    children = _page(client_for(world.iso), unit=world.root.pk).context["children"]
    found = {c["unit"].code: (c["done"], c["total"]) for c in children}
    assert found == {"XA1": (2, 4), "XA2": (1, 1)}


def test_export_xlsx_has_the_rows_and_the_total(world, client_for, two_documents):
    response = _page(client_for(world.iso), unit=world.root.pk, format="xlsx")
    data = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = load_workbook(io.BytesIO(data)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    codes = [row[0] for row in values[1:]]
    assert codes[:2] == ["QT-A", "QT-B"] and len(codes) == 3
    assert values[-1][4:7] == [5, 3, 2]


def test_owner_member_outsider_and_query_count(
    world, client_for, two_documents, django_assert_max_num_queries
):
    # The principal manages the school; principal2 sees only their own school's rows.
    principal = _page(client_for(world.principal), unit=world.school.pk)
    assert principal.status_code == 200 and principal.context["total"]["total"] == 4
    outsider = _page(client_for(world.principal2), unit=world.school.pk)
    assert outsider.context["rows"] == [] and outsider.context["unit"] is None
    client = client_for(world.iso)
    _page(client, unit=world.root.pk)
    with django_assert_max_num_queries(25):
        assert _page(client, unit=world.root.pk).status_code == 200
