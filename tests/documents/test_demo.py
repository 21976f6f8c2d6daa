"""The demo: about 60 documents in every state, idempotent, with work for iso and teacher."""

import io

import pytest
from django.core.management import call_command

from documents import services
from documents.demo import PENDING
from documents.models import Document, Revision, RevisionStatus
from ims.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())


def test_seed_twice_gives_the_same_data(demo):
    counts = (Document.objects.count(), Revision.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (Document.objects.count(), Revision.objects.count()) == counts
    assert counts[0] >= 60
    states = set(Revision.objects.values_list("status", flat=True))
    assert states == set(RevisionStatus.values)
    assert Document.objects.filter(code="STCL-01", doc_type="manual").exists()
    assert Document.objects.filter(doc_type="external", external_status="replaced").exists()
    for code in ("QT-01", "QT-02", "QT-03", "QT-04", "QT-05"):
        assert Document.objects.get(code=code).status == "effective"
    assert all(r.file.read(5) == b"%PDF-" for r in Revision.objects.all()[:5])
    # Separation of duties holds in the demo: every approver may approve (the approval
    # authority matrix), and nobody reviews or approves their own revision.
    from documents.authority import may_approve

    for revision in Revision.objects.select_related("document__owner_unit", "approver"):
        assert revision.approver_id != revision.author_id
        assert may_approve(revision.approver, revision.document), revision
        assert not revision.reviewers.filter(pk=revision.author_id).exists(), revision


def test_iso_takes_demo_draft_to_effective_and_teacher_must_acknowledge(demo, client_for):
    iso, teacher = User.objects.get(username="iso"), User.objects.get(username="teacher")
    document = Document.objects.get(code="QT-23")
    revision = document.revisions.get()
    assert revision.status == "draft"
    services.revision_submit(revision, actor=iso)
    services.revision_review(revision, actor=iso, password="demo")
    services.revision_approve(revision, actor=iso, password="demo")
    services.revision_publish(revision, actor=iso, password="demo")
    page = client_for(teacher).get("/documents/to-acknowledge/")
    assert "QT-23" in [r.document.code for r in page.context["revisions"]]


def test_every_demo_account_has_something_to_see(demo, client_for):
    for username in (
        "director",
        "iso",
        "auditor",
        "leadauditor",
        "head",
        "principal",
        "teacher",
        "principal2",
    ):
        user = User.objects.get(username=username)
        response = client_for(user).get("/documents/")
        assert response.context["page"].paginator.count > 0, username
    teacher = client_for(User.objects.get(username="teacher"))
    assert len(teacher.get("/documents/to-acknowledge/").context["revisions"]) > 0
    search = client_for(User.objects.get(username="iso")).get("/documents/?q=quy+trinh")
    titles = [d.title for d in search.context["page"].object_list]
    assert titles and all("Quy trình" in t or "quy trình" in t.lower() for t in titles)


def test_demo_asks_nobody_to_acknowledge_a_document_they_cannot_open(demo):
    from documents.models import Acknowledgement

    restricted = Revision.objects.filter(
        document__confidentiality="restricted", status="effective"
    ).select_related("document")
    assert restricted.exists()
    for revision in restricted:
        readers = set(revision.document.restricted_to.all())
        assert set(services.recipients(revision)) <= readers
        acknowledgers = {a.user for a in revision.acknowledgements.select_related("user")}
        assert acknowledgers <= readers
    teacher2 = User.objects.get(username="teacher2")
    for acknowledgement in Acknowledgement.objects.filter(user=teacher2):
        assert Revision.objects.for_user(teacher2).filter(pk=acknowledgement.revision_id).exists()


def test_demo_teacher_sees_no_names_from_another_school_on_qt04(demo, client_for):
    from django.urls import reverse

    document = Document.objects.get(code="QT-04")
    url = reverse("documents:document_detail", args=[document.pk])
    principal2 = User.objects.get(username="principal2")
    assert (principal2.username, "QT-04") in PENDING  # principal2 has not acknowledged it
    for username in ("teacher", "principal"):
        response = client_for(User.objects.get(username=username)).get(f"/documents/{document.pk}/")
        assert response.status_code == 200
        assert response.context["coverage"]["hidden"] > 0
        assert principal2.display_name not in response.content.decode()
    iso_page = client_for(User.objects.get(username="iso")).get(url)
    assert principal2.display_name in iso_page.content.decode()  # the manager sees the name
