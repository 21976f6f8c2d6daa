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
        reviewers=[world.director],
        approver=world.iso,
        distribute_to=[world.root],  # even a province-wide distribution does not open it
    )
    document.restricted_to.set([world.principal])
    revision = document.effective_revision
    url = reverse("documents:revision_download", args=[revision.pk])
    assert client_for(world.principal2).get(url).status_code == 404
    assert client_for(world.principal2).get(f"/documents/{document.pk}/").status_code == 404
    assert client_for(world.principal).get(url).status_code == 200
    # teacher is not on the list: a colleague in the same school does not see it either
    assert client_for(world.teacher).get(url).status_code == 404
    assert client_for(world.head).get(url).status_code == 404
    document.restricted_to.add(world.teacher)
    assert client_for(world.teacher).get(url).status_code == 200


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


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("documents:document_withdraw", {"reason": "Không dùng nữa"}),
        ("documents:confirm_review", {"note": "Còn phù hợp"}),
    ],
)
def test_member_cannot_change_the_document(world, client_for, school_doc, name, data):
    before = Document.objects.filter(pk=school_doc.pk).values("status", "next_review_date").get()
    response = client_for(world.teacher).post(reverse(name, args=[school_doc.pk]), data)
    assert response.status_code == 302
    after = Document.objects.filter(pk=school_doc.pk).values("status", "next_review_date").get()
    assert after == before
    assert (
        client_for(world.principal2).post(reverse(name, args=[school_doc.pk]), data).status_code
        == 404
    )


def test_member_cannot_start_a_revision_or_change_distribution(world, client_for, school_doc):
    from documents.models import Distribution

    teacher = client_for(world.teacher)
    url = reverse("documents:revision_create", args=[school_doc.pk])
    assert teacher.get(url).status_code == 403
    revision = school_doc.effective_revision
    before = Distribution.objects.filter(revision=revision).count()
    teacher.post(
        reverse("documents:distribution_add", args=[revision.pk]), {"units": [world.school2.pk]}
    )
    assert Distribution.objects.filter(revision=revision).count() == before
    assert client_for(world.principal2).get(url).status_code == 404


def test_owner_records_periodic_review(world, client_for, school_doc):
    response = client_for(world.principal).post(
        reverse("documents:confirm_review", args=[school_doc.pk]), {"note": "Còn phù hợp"}
    )
    assert response.status_code == 302
    from ims.models import TransitionEvent

    event = TransitionEvent.objects.for_object(school_doc).get()
    assert (event.action, event.reason, event.actor) == (
        "periodic_review",
        "Còn phù hợp",
        world.principal,
    )


def test_review_list_query_count_is_flat(world, client_for, django_assert_max_num_queries):
    from django.utils import timezone

    from tests.documents.factories import bulk_documents

    def make_due(docs):
        Document.objects.filter(pk__in=[d.pk for d in docs]).update(
            next_review_date=timezone.localdate() + timezone.timedelta(days=5)
        )

    client = client_for(world.iso)
    make_due(bulk_documents(world, 3))
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("documents:review_list"))
    make_due(bulk_documents(world, 30, prefix="MORE"))
    with django_assert_max_num_queries(12) as many:
        response = client.get(reverse("documents:review_list"))
    assert len(response.context["due"]) == 33
    assert len(many.captured_queries) == len(few.captured_queries)
