"""Reading a revision in the browser, stamped copies, and "opened" as a condition to acknowledge."""

import hashlib
import io

import pytest
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from documents import services
from documents.models import Acknowledgement, Opening, RevisionStatus
from ims.transitions import TransitionError
from tests.documents.factories import draft_of, effective_document, make_document

pytestmark = pytest.mark.django_db


def _text(data):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _stored_sha(revision):
    with revision.file.open("rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def test_effective_download_is_stamped_and_the_original_stays_byte_identical(world, client_for):
    document = effective_document(world, code="QT-07", distribute_to=[world.school])
    revision = document.effective_revision
    before = _stored_sha(revision)
    assert before == revision.sha256
    response = client_for(world.teacher).get(
        reverse("documents:revision_download", args=[revision.pk])
    )
    assert response.status_code == 200
    assert response["X-Stamped"] == "yes"
    assert response["Content-Disposition"].startswith("attachment")
    data = b"".join(response.streaming_content)
    assert hashlib.sha256(data).hexdigest() != revision.sha256  # a stamped copy
    text = _text(data)
    effective = revision.effective_date.strftime("%d/%m/%Y")
    # The header names the copy; Vietnamese glyphs come through (the vendored Noto fonts).
    assert "QT-07 lần ban hành 1 · Ngày hiệu lực: " + effective in text
    # The footer: "uncontrolled when printed" (pypdf reads "ể" back oddly: compare the start).
    with translation.override("vi"):
        footer = translation.gettext("Uncontrolled when printed")
    assert footer[:12] in text and footer.startswith("Bản không ki")
    assert _stored_sha(revision) == before  # storage untouched
    assert len(PdfReader(io.BytesIO(data)).pages) == 1


def test_draft_download_says_draft(world, client_for):
    revision = draft_of(make_document(world, code="QT-DT-1"))
    response = client_for(world.iso).get(reverse("documents:revision_download", args=[revision.pk]))
    text = _text(b"".join(response.streaming_content))
    assert "DỰ THẢO" in text and "QT-DT-1" in text
    assert revision.status == RevisionStatus.DRAFT


def test_non_pdf_is_downloaded_as_stored_and_the_page_says_so(world, client_for):
    from ims.files import in_memory
    from tests.documents.factories import docx_bytes

    revision = draft_of(make_document(world))
    services.revision_update(
        revision,
        actor=world.iso,
        change_summary="DOCX",
        reviewers=[world.head],
        approver=world.director,
        upload=in_memory(docx_bytes(["Mục 1"]), "qt.docx"),
    )
    revision.refresh_from_db()
    iso = client_for(world.iso)
    response = iso.get(reverse("documents:revision_download", args=[revision.pk]))
    assert response["X-Stamped"] == "no"
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == revision.sha256
    page = iso.get(reverse("documents:revision_view", args=[revision.pk]))
    assert 'data-testid="not-previewable"' in page.content.decode()
    assert 'data-testid="pdf-preview"' not in page.content.decode()


def test_view_page_frames_the_inline_pdf_owner_member_outsider(world, client_for):
    document = effective_document(world, distribute_to=[world.school])
    revision = document.effective_revision
    view = reverse("documents:revision_view", args=[revision.pk])
    inline = reverse("documents:revision_file", args=[revision.pk])
    for user in (world.iso, world.teacher):  # owner, a reader with fewer rights
        page = client_for(user).get(view)
        assert page.status_code == 200 and 'data-testid="pdf-preview"' in page.content.decode()
        response = client_for(user).get(inline)
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("inline")
        assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
        assert response["X-Frame-Options"] == "SAMEORIGIN"
    for url in (view, inline, reverse("documents:revision_download", args=[revision.pk])):
        assert client_for(world.principal2).get(url).status_code == 404
    assert not Opening.objects.filter(user=world.principal2).exists()


def test_a_draft_is_not_shown_to_a_reader_of_the_document(world, client_for):
    document = effective_document(world, distribute_to=[world.school])
    services.revision_create(
        document, actor=world.iso, upload=_pdf(), change_summary="Sửa", approver=world.director
    )
    draft = draft_of(document)
    assert (
        client_for(world.teacher)
        .get(reverse("documents:revision_view", args=[draft.pk]))
        .status_code
        == 404
    )


def _pdf():
    from tests.documents.factories import pdf_upload

    return pdf_upload()


def test_acknowledging_requires_having_opened_the_revision(world, client_for):
    document = effective_document(world, distribute_to=[world.school])
    revision = document.effective_revision
    with pytest.raises(TransitionError):
        services.revision_acknowledge(revision, actor=world.teacher)
    assert not Acknowledgement.objects.exists()
    teacher = client_for(world.teacher)
    page = teacher.get(reverse("documents:to_acknowledge")).content.decode()
    assert 'data-testid="acknowledge-disabled"' in page
    assert "Hãy mở tài liệu trước" in page  # "Open the document first", in Vietnamese
    teacher.get(reverse("documents:revision_view", args=[revision.pk]))
    assert Opening.objects.get(user=world.teacher, revision=revision).via == "view"
    page = teacher.get(reverse("documents:to_acknowledge")).content.decode()
    assert 'data-testid="acknowledge"' in page and "acknowledge-disabled" not in page
    teacher.post(reverse("documents:acknowledge", args=[revision.pk]))
    assert Acknowledgement.objects.filter(user=world.teacher, revision=revision).exists()


def test_a_download_counts_as_opening_once(world, client_for):
    document = effective_document(world, distribute_to=[world.school])
    revision = document.effective_revision
    url = reverse("documents:revision_download", args=[revision.pk])
    teacher = client_for(world.teacher)
    teacher.get(url)
    teacher.get(url)
    assert Opening.objects.filter(user=world.teacher).count() == 1
    assert Opening.objects.get(user=world.teacher).via == "download"
    services.revision_acknowledge(revision, actor=world.teacher)


def test_view_page_query_count(world, client_for, django_assert_max_num_queries):
    document = effective_document(world, distribute_to=[world.school])
    client = client_for(world.teacher)
    url = reverse("documents:revision_view", args=[document.effective_revision.pk])
    client.get(url)
    with django_assert_max_num_queries(16):
        assert client.get(url).status_code == 200
