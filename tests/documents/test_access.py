"""Who sees what: owner, member with fewer rights, outsider (404), drafts, restricted documents."""

import pytest
from django.urls import reverse

from documents.models import Document, Revision
from tests.documents.factories import draft_of, effective_document, make_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def school_doc(world):
    """An effective internal procedure of principal's school, distributed to the school."""
    return effective_document(
        world,
        unit=world.school,
        owner=world.principal,
        code="QT-TH-01",
        title="Quy trình tiếp nhận học sinh vào lớp 1",
        reviewers=[world.teacher],
        approver=world.director,
        distribute_to=[world.school],
    )


def _urls(document):
    revision = document.effective_revision
    return {
        "register": reverse("documents:register"),
        "detail": reverse("documents:document_detail", args=[document.pk]),
        "download": reverse("documents:revision_download", args=[revision.pk]),
    }


def test_owner_sees_register_detail_and_download(world, client_for, school_doc):
    client = client_for(world.principal)
    urls = _urls(school_doc)
    assert school_doc.title in client.get(urls["register"]).content.decode()
    detail = client.get(urls["detail"])
    edit_url = reverse("documents:document_edit", args=[school_doc.pk])
    assert detail.status_code == 200 and edit_url in detail.content.decode()
    download = client.get(urls["download"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF-")
    assert download["Cache-Control"] == "private, no-store"


def test_member_reads_but_cannot_edit(world, client_for, school_doc):
    client = client_for(world.teacher)
    urls = _urls(school_doc)
    assert school_doc.title in client.get(urls["register"]).content.decode()
    detail = client.get(urls["detail"]).content.decode()
    assert reverse("documents:document_edit", args=[school_doc.pk]) not in detail
    assert client.get(urls["download"]).status_code == 200
    assert client.get(reverse("documents:document_edit", args=[school_doc.pk])).status_code == 403
    response = client.post(
        reverse("documents:document_withdraw", args=[school_doc.pk]), {"reason": "Không cần"}
    )
    assert Document.objects.get(pk=school_doc.pk).status == "effective"
    assert response.status_code == 302


def test_outsider_gets_404_everywhere(world, client_for, school_doc):
    client = client_for(world.principal2)
    urls = _urls(school_doc)
    assert school_doc.title not in client.get(urls["register"]).content.decode()
    assert client.get(urls["detail"]).status_code == 404
    assert client.get(urls["download"]).status_code == 404
    assert client.get(reverse("documents:document_edit", args=[school_doc.pk])).status_code == 404
    revision = school_doc.effective_revision
    assert client.post(reverse("documents:acknowledge", args=[revision.pk])).status_code == 404
    assert (
        client.post(reverse("documents:revision_action", args=[revision.pk, "submit"])).status_code
        == 404
    )


def test_principal2_cannot_download_restricted_document_by_url(world, client_for):
    document = effective_document(
        world,
        unit=world.school,
        owner=world.principal,
        code="HS-TH-01",
        title="Hồ sơ theo dõi học sinh khuyết tật",
        confidentiality="restricted",
        reviewers=[world.teacher],
        approver=world.director,
        distribute_to=[world.root],  # even a province-wide distribution does not open it
    )
    document.restricted_to.set([world.principal])
    revision = document.effective_revision
    url = reverse("documents:revision_download", args=[revision.pk])
    assert client_for(world.principal2).get(url).status_code == 404
    assert client_for(world.principal2).get(f"/documents/{document.pk}/").status_code == 404
    assert client_for(world.principal).get(url).status_code == 200
    # teacher is not on the list: a colleague in the same school does not see it either
    assert client_for(world.teacher).get(url).status_code == 200  # reviewer of the revision
    assert client_for(world.head).get(url).status_code == 404


def test_draft_visible_only_to_author_reviewers_approver_and_quality_managers(world, client_for):
    document = make_document(
        world,
        unit=world.division,
        owner=world.head,
        author=world.head,
        reviewers=[world.auditor],
        approver=world.director,
    )
    url = reverse("documents:document_detail", args=[document.pk])
    download = reverse("documents:revision_download", args=[draft_of(document).pk])
    for user in (world.head, world.auditor, world.director, world.iso):
        assert client_for(user).get(url).status_code == 200, user
        assert client_for(user).get(download).status_code == 200, user
    for user in (world.teacher, world.principal, world.principal2, world.leadauditor):
        assert client_for(user).get(url).status_code == 404, user
        assert client_for(user).get(download).status_code == 404, user


def test_distribution_opens_effective_revision_to_recipients_only(world, client_for):
    document = effective_document(world, code="QT-01", distribute_to=[world.commune])
    url = reverse("documents:document_detail", args=[document.pk])
    assert client_for(world.teacher).get(url).status_code == 200  # school is under the commune
    assert client_for(world.principal2).get(url).status_code == 404


def test_public_document_is_visible_to_every_signed_in_user(world, client_for):
    document = effective_document(world, code="CS-01", confidentiality="public")
    assert client_for(world.principal2).get(f"/documents/{document.pk}/").status_code == 200


def test_staff_cannot_create_for_another_unit(world, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from documents.sample_pdf import sample_pdf
    from tests.documents.test_upload import _post

    client = client_for(world.teacher)
    response = _post(client, world, SimpleUploadedFile("a.pdf", sample_pdf("x")))
    assert response.status_code == 200  # the quality division is not a choice for the teacher
    assert not Document.objects.exists()
    response = _post(
        client,
        world,
        SimpleUploadedFile("a.pdf", sample_pdf("x")),
        owner_unit=world.school.pk,
        owner=world.teacher.pk,
        reviewers=[world.principal.pk],
        approver=world.principal.pk,
    )
    assert response.status_code == 302
    assert Revision.objects.get().author == world.teacher


def test_viewer_without_author_role_cannot_open_new_document_form(world, client_for):
    from ims.models import Role
    from tests.factories import MembershipFactory, UserFactory

    viewer = UserFactory(username="viewer")
    MembershipFactory(user=viewer, unit=world.school, role=Role.VIEWER)
    assert client_for(viewer).get(reverse("documents:document_create")).status_code == 403
