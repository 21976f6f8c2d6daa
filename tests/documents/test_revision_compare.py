"""Comparing two revisions: metadata side by side, text as a diff, bounded work."""

import pytest
from django.urls import reverse

from documents import compare, services
from documents.models import Revision
from ims.files import in_memory
from tests.documents.factories import (
    docx_bytes,
    draft_of,
    effective_document,
    make_document,
    pdf_upload,
)

pytestmark = pytest.mark.django_db


def _two_docx_revisions(world):
    document = make_document(world, code="QT-SS-1")
    first = draft_of(document)
    services.revision_update(
        first,
        actor=world.iso,
        change_summary="Ban hành lần đầu.",
        reviewers=[world.head],
        approver=world.director,
        upload=in_memory(docx_bytes(["Mục 1. Phạm vi", "Mục 2. Trách nhiệm cũ"]), "qt.docx"),
    )
    services.revision_discard(first, actor=world.iso, reason="Làm lại")
    services.revision_create(
        document,
        actor=world.iso,
        upload=in_memory(docx_bytes(["Mục 1. Phạm vi", "Mục 2. Trách nhiệm mới"]), "qt.docx"),
        change_summary="Sửa mục 2",
        approver=world.director,
    )
    return document


def test_docx_text_is_compared_line_by_line(world, client_for):
    document = _two_docx_revisions(world)
    response = client_for(world.iso).get(
        reverse("documents:revision_compare", args=[document.pk]), {"a": 1, "b": 2}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "<del>Mục 2. Trách nhiệm cũ</del>" in page
    assert "<ins>Mục 2. Trách nhiệm mới</ins>" in page
    assert "Sửa mục 2" in page and "Ban hành lần đầu." in page  # metadata side by side


def test_pdf_text_extraction_and_identical_text(world):
    document = effective_document(world)
    services.revision_create(
        document,
        actor=world.iso,
        upload=pdf_upload(),
        change_summary="Sửa",
        approver=world.director,
    )
    old, new = document.revisions.order_by("number")
    left, right = compare.extract_text(old), compare.extract_text(new)
    assert left.lines and left.lines == right.lines
    rows = compare.text_diff(left.lines, right.lines)
    assert all(kind == "equal" for kind, _a, _b in rows)


def test_long_text_is_cut_with_a_note(world, monkeypatch):
    monkeypatch.setattr(compare, "MAX_LINES", 3)
    document = make_document(world)
    revision = draft_of(document)
    services.revision_update(
        revision,
        actor=world.iso,
        change_summary="Dài",
        reviewers=[world.head],
        approver=world.director,
        upload=in_memory(docx_bytes([f"Dòng {i}" for i in range(10)]), "qt.docx"),
    )
    extracted = compare.extract_text(Revision.objects.get(pk=revision.pk))
    assert len(extracted.lines) == 3 and extracted.note


def test_oversized_file_is_not_read(world, monkeypatch):
    monkeypatch.setattr(compare, "MAX_FILE_BYTES", 10)
    revision = draft_of(make_document(world))
    extracted = compare.extract_text(revision)
    assert extracted.lines == [] and extracted.note


def test_compare_access_and_bad_input(world, client_for, django_assert_max_num_queries):
    document = _two_docx_revisions(world)
    url = reverse("documents:revision_compare", args=[document.pk])
    # The owner sees both; a reader of the school does not see the drafts (404 on the
    # document); an outsider gets 404.
    assert client_for(world.iso).get(url).status_code == 200
    assert client_for(world.principal2).get(url).status_code == 404
    bad = client_for(world.iso).get(url, {"a": "99", "b": "x"})
    assert bad.status_code == 200 and 'data-testid="compare-error"' in bad.content.decode()
    same = client_for(world.iso).get(url, {"a": 2, "b": 2})
    assert 'data-testid="compare-error"' in same.content.decode()
    client = client_for(world.iso)
    client.get(url)
    with django_assert_max_num_queries(20):
        assert client.get(url).status_code == 200


def test_member_sees_only_published_revisions_in_the_choice(world, client_for):
    document = effective_document(world, distribute_to=[world.school])
    services.revision_create(
        document,
        actor=world.iso,
        upload=pdf_upload(),
        change_summary="Nháp",
        approver=world.director,
    )
    page = (
        client_for(world.teacher)
        .get(reverse("documents:revision_compare", args=[document.pk]), {"a": 1, "b": 2})
        .content.decode()
    )
    assert 'data-testid="compare-error"' in page  # revision 2 is a draft they may not see
