"""The pages and their actions over HTTP: lifecycle buttons, bad input, lists with pinned queries."""

import pytest
from django.urls import reverse
from django.utils import translation

from documents.models import Document, Revision
from ims.models import Signature
from ims.signatures import wrong_password_error
from tests.documents.factories import (
    bulk_documents,
    draft_of,
    effective_document,
    make_document,
    pdf_upload,
)

pytestmark = pytest.mark.django_db


def _action(client, revision, action, **data):
    return client.post(
        reverse("documents:revision_action", args=[revision.pk, action]), data, follow=True
    )


def _messages(response):
    return [str(m) for m in response.context["messages"]]


def test_lifecycle_through_the_pages(world, client_for):
    revision = draft_of(make_document(world))
    iso, head, director = (client_for(u) for u in (world.iso, world.head, world.director))
    detail = reverse("documents:document_detail", args=[revision.document_id])
    assert 'data-testid="submit"' in iso.get(detail).content.decode()
    assert 'data-testid="submit"' not in head.get(detail).content.decode()
    _action(iso, revision, "submit")
    assert 'data-testid="sign"' in head.get(detail).content.decode()
    response = _action(head, revision, "review", password="sai")
    with translation.override("vi"):
        assert _messages(response) == wrong_password_error().messages
    assert not Signature.objects.exists()
    response = _action(head, revision, "review", password="")
    assert _messages(response) == ["Nhập mật khẩu để ký."]
    _action(head, revision, "review", password="demo", comment="Nội dung phù hợp")
    _action(director, revision, "approve", password="demo")
    response = _action(director, revision, "publish", password="demo")
    assert response.status_code == 200
    assert _messages(response) == ["Đã ban hành: tài liệu bắt đầu có hiệu lực."]
    revision.refresh_from_db()
    assert revision.status == "effective"
    page = director.get(detail).content.decode()
    assert "Nội dung phù hợp" in page and "Hợp lệ" in page


def test_illegal_step_through_the_page_changes_nothing(world, client_for):
    revision = draft_of(make_document(world))
    response = _action(client_for(world.director), revision, "publish", password="demo")
    assert response.status_code == 200
    assert "Không được phép chuyển bước" in " ".join(_messages(response))
    assert Revision.objects.get(pk=revision.pk).status == "draft"


def test_author_cannot_approve_through_the_page(world, client_for):
    document = make_document(
        world,
        author=world.director,
        owner=world.director,
        approver=world.iso,
        reviewers=[world.head],
    )
    revision = draft_of(document)
    client = client_for(world.director)
    _action(client, revision, "submit")
    _action(client_for(world.head), revision, "review", password="demo")
    response = _action(client, revision, "approve", password="demo")
    assert "Người soạn thảo không được tự phê duyệt" in " ".join(_messages(response))
    assert Revision.objects.get(pk=revision.pk).status == "in_review"


def test_unknown_action_is_404_and_get_is_refused(world, client_for):
    revision = draft_of(make_document(world))
    client = client_for(world.iso)
    assert (
        client.post(reverse("documents:revision_action", args=[revision.pk, "explode"])).status_code
        == 404
    )
    assert (
        client.get(reverse("documents:revision_action", args=[revision.pk, "submit"])).status_code
        == 405
    )


def test_return_without_reason_changes_nothing(world, client_for):
    revision = draft_of(make_document(world))
    _action(client_for(world.iso), revision, "submit")
    response = _action(client_for(world.head), revision, "return", reason=" ")
    assert "lý do" in " ".join(_messages(response))
    assert Revision.objects.get(pk=revision.pk).status == "in_review"


def test_edit_draft_replaces_file_and_keeps_history(world, client_for):
    revision = draft_of(make_document(world))
    old_hash = revision.sha256
    client = client_for(world.iso)
    url = reverse("documents:revision_edit", args=[revision.pk])
    assert client.get(url).status_code == 200
    assert client_for(world.teacher).get(url).status_code == 404
    upload = pdf_upload("moi.pdf", "Bản sửa")
    response = client.post(
        url,
        {
            "file": upload,
            "change_summary": "Sửa lưu đồ",
            "reviewers": [world.head.pk],
            "approver": world.director.pk,
        },
    )
    assert response.status_code == 302
    revision.refresh_from_db()
    assert revision.sha256 != old_hash and revision.change_summary == "Sửa lưu đồ"
    assert revision.history.count() >= 2


def test_edit_document_records_history_and_refuses_bad_interval(world, client_for):
    document = make_document(world)
    client = client_for(world.iso)
    url = reverse("documents:document_edit", args=[document.pk])
    data = {
        "code": document.code,
        "title": "Quy trình kiểm soát tài liệu (sửa)",
        "doc_type": "procedure",
        "owner_unit": world.quality.pk,
        "owner": world.iso.pk,
        "confidentiality": "internal",
        "review_interval_months": 0,
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert Document.objects.get(pk=document.pk).title == "Quy trình kiểm soát tài liệu"
    data["review_interval_months"] = 24
    assert client.post(url, data).status_code == 302
    document.refresh_from_db()
    assert document.title.endswith("(sửa)")
    assert document.history.first().history_user == world.iso


def test_new_revision_page(world, client_for):
    document = effective_document(world)
    client = client_for(world.iso)
    url = reverse("documents:revision_create", args=[document.pk])
    assert client_for(world.teacher).get(url).status_code == 404
    response = client.post(
        url,
        {
            "file": pdf_upload(),
            "change_summary": "Lần 2",
            "reviewers": [world.head.pk],
            "approver": world.director.pk,
        },
    )
    assert response.status_code == 302
    assert document.revisions.count() == 2
    assert client.get(url).status_code == 403  # a revision is already in progress


def test_review_list_trio(world, client_for):
    from django.utils import timezone

    from documents.models import add_months

    overdue = effective_document(
        world,
        unit=world.school,
        owner=world.principal,
        code="QT-TH-9",
        reviewers=[world.teacher],
        approver=world.director,
        effective_date=add_months(timezone.localdate(), -13),
    )
    url = reverse("documents:review_list")
    assert overdue.title in client_for(world.principal).get(url).content.decode()
    assert overdue.title in client_for(world.iso).get(url).content.decode()
    assert overdue.title not in client_for(world.principal2).get(url).content.decode()


def test_to_acknowledge_query_count_is_flat(world, client_for, django_assert_max_num_queries):
    from documents.models import Distribution

    def distribute(docs):
        Distribution.objects.bulk_create(
            Distribution(revision=d.effective_revision, unit=world.school, created_by=world.iso)
            for d in docs
        )

    client = client_for(world.teacher)
    distribute(bulk_documents(world, 3))
    with django_assert_max_num_queries(15) as few:
        assert client.get(reverse("documents:to_acknowledge")).status_code == 200
    distribute(bulk_documents(world, 40, prefix="MORE"))
    with django_assert_max_num_queries(15) as many:
        response = client.get(reverse("documents:to_acknowledge"))
    assert len(response.context["revisions"]) == 43
    assert len(many.captured_queries) == len(few.captured_queries)


def test_detail_trio_for_a_draft_with_signatures(world, client_for):
    revision = draft_of(make_document(world))
    url = reverse("documents:document_detail", args=[revision.document_id])
    assert client_for(world.iso).get(url).status_code == 200
    assert client_for(world.head).get(url).status_code == 200  # named reviewer
    assert client_for(world.principal2).get(url).status_code == 404


def test_published_document_keeps_code_and_title_so_signatures_stay_valid(world, client_for):
    from ims.signatures import signatures_for

    document = effective_document(world)
    code, title = document.code, document.title
    url = reverse("documents:document_edit", args=[document.pk])
    data = {
        "code": "KHAC",
        "title": "Tên khác",
        "doc_type": "form",
        "owner_unit": world.school.pk,
        "owner": world.iso.pk,
        "confidentiality": "internal",
        "review_interval_months": 6,
    }
    assert client_for(world.iso).post(url, data).status_code == 302
    document.refresh_from_db()
    assert (document.code, document.title) == (code, title)
    assert document.review_interval_months == 6  # the rest of the form was saved
    assert all(s.valid for s in signatures_for(document.effective_revision))
