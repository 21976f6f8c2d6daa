"""The register at /documents/: filters, accent-insensitive search, exports, flat query count."""

import csv
import io

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from documents.models import add_months
from ims.models import Clause
from tests.documents.factories import bulk_documents, effective_document, make_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def docs(world):
    clause = Clause.objects.get(criteria_set__code="iso-9001-2015", number="9.2")
    today = timezone.localdate()
    a = effective_document(world, code="QT-01", title="Quy trình kiểm soát tài liệu")
    b = effective_document(
        world,
        code="QT-03",
        title="Quy trình đánh giá nội bộ",
        effective_date=add_months(today, -12) + timezone.timedelta(days=10),
    )
    b.clauses.set([clause])
    c = effective_document(
        world,
        code="HD-02",
        title="Hướng dẫn đào tạo giáo viên",
        doc_type="instruction",
        effective_date=add_months(today, -13),
    )
    d = make_document(world, code="BM-01", title="Biểu mẫu danh mục tài liệu", doc_type="form")
    return {"a": a, "b": b, "c": c, "d": d, "clause": clause}


def _codes(client, query=""):
    response = client.get(reverse("documents:register") + query)
    assert response.status_code == 200
    return {d.code for d in response.context["page"].object_list}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?q=quy+trinh", {"QT-01", "QT-03"}),
        ("?q=QUY TRÌNH", {"QT-01", "QT-03"}),
        ("?q=dao+tao", {"HD-02"}),
        ("?q=Đào+tạo", {"HD-02"}),
        ("?q=đanh+gia", {"QT-03"}),
        ("?q=qt-01", {"QT-01"}),
        # Change summaries of published revisions (BM-01 is only a draft).
        ("?q=ban+hanh+lan+dau", {"QT-01", "QT-03", "HD-02"}),
        ("?q=khong+co+gi", set()),
    ],
)
def test_search_ignores_case_and_diacritics(world, client_for, docs, query, expected):
    assert _codes(client_for(world.iso), query) == expected


def test_a_drafts_change_summary_is_not_searchable(world, client_for):
    from documents import services
    from tests.documents.factories import pdf_upload, publish

    document = effective_document(world, code="QT-77", distribute_to=[world.school])
    draft = services.revision_create(
        document,
        actor=world.iso,
        upload=pdf_upload(),
        change_summary="Bổ sung quy định tuyển sinh bí mật",
        reviewers=[world.head],
        approver=world.director,
    )
    query = "?q=tuyen+sinh+bi+mat"
    assert _codes(client_for(world.teacher), "?q=qt-77") == {"QT-77"}  # sees the document
    assert _codes(client_for(world.teacher), query) == set()  # but not the draft's summary
    assert _codes(client_for(world.iso), query) == set()
    publish(draft)
    assert _codes(client_for(world.teacher), query) == {"QT-77"}


def test_filters(world, client_for, docs):
    client = client_for(world.iso)
    assert _codes(client, "?type=instruction") == {"HD-02"}
    assert _codes(client, "?status=draft") == {"BM-01"}
    assert _codes(client, f"?clause={docs['clause'].pk}") == {"QT-03"}
    assert _codes(client, "?review=due") == {"QT-03"}
    assert _codes(client, "?review=overdue") == {"HD-02"}
    assert _codes(client, f"?unit={world.quality.pk}") == {"QT-01", "QT-03", "HD-02", "BM-01"}
    assert _codes(client, f"?unit={world.school.pk}") == set()


def test_invalid_filter_is_ignored_with_message(world, client_for, docs):
    response = client_for(world.iso).get(reverse("documents:register") + "?type=virus&unit=abc")
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 4
    assert list(response.context["messages"])


def test_export_csv_and_xlsx_follow_filters(world, client_for, docs):
    client = client_for(world.iso)
    response = client.get(reverse("documents:register") + "?q=quy+trinh&format=csv")
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert sorted(r[0] for r in rows[1:]) == ["QT-01", "QT-03"]
    assert "Quy trình đánh giá nội bộ" in text
    response = client.get(reverse("documents:register") + "?type=instruction&format=xlsx")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [row[0] for row in sheet.iter_rows(values_only=True)]
    assert values[1:] == ["HD-02"]


def test_export_contains_only_visible_documents(world, client_for, docs):
    response = client_for(world.principal2).get(reverse("documents:register") + "?format=csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "QT-01" not in text


def test_register_query_count_is_flat(world, client_for, django_assert_max_num_queries):
    client = client_for(world.principal)
    bulk_documents(world, 10, unit=world.school)
    cache.clear()  # the unit filter's options are cached: compare cold pages
    with django_assert_max_num_queries(12) as small:
        client.get(reverse("documents:register"))
    bulk_documents(world, 290, unit=world.school, prefix="MORE")
    cache.clear()
    with django_assert_max_num_queries(12) as large:
        response = client.get(reverse("documents:register"))
    assert response.context["page"].paginator.count == 300
    assert len(large.captured_queries) == len(small.captured_queries)
    with django_assert_max_num_queries(len(large.captured_queries) - 1):
        client.get(reverse("documents:register"))  # warm: the unit options come from the cache
