"""A document's code and title are frozen once any of its revisions is signed: every signature
binds to them, so changing them in place would turn every signature "invalid". The model, its
queryset, the service, the form, the admin and a history revert all refuse; publishing re-checks
that the approval signature still matches."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse

from documents import services
from documents.models import Document, Revision, RevisionStatus
from ims.models import Signature
from ims.signatures import signatures_for
from ims.transitions import TransitionError
from tests.documents.factories import draft_of, make_document

pytestmark = pytest.mark.django_db


def _reviewed(world):
    """A document whose only revision is in review with the reviewer's signature."""
    document = make_document(world, code="QT-50", title="Quy trình tuyển sinh")
    revision = draft_of(document)
    services.revision_submit(revision, actor=world.iso)
    services.revision_review(revision, actor=world.head, password="demo")
    return Document.objects.get(pk=document.pk), Revision.objects.get(pk=revision.pk)


def _update(document, user, **data):
    return services.document_update(document, actor=user, data=data)


def test_code_and_title_change_freely_before_any_signature(world):
    document = make_document(world, code="QT-50", title="Quy trình tuyển sinh")
    _update(document, world.iso, code="QT-51", title="Quy trình tuyển sinh lớp 1")
    document.refresh_from_db()
    assert (document.code, document.title) == ("QT-51", "Quy trình tuyển sinh lớp 1")


def test_service_refuses_a_new_code_or_title_once_a_review_is_signed(world):
    document, revision = _reviewed(world)
    for data in ({"code": "QT-51"}, {"title": "Tên khác"}):
        with pytest.raises(ValidationError) as refused:
            _update(document, world.iso, **data)
        assert set(refused.value.message_dict) == set(data)
    _update(document, world.iso, process="Tuyển sinh")  # the other fields still change
    document.refresh_from_db()
    assert (document.code, document.title, document.process) == (
        "QT-50",
        "Quy trình tuyển sinh",
        "Tuyển sinh",
    )
    assert all(s.valid for s in signatures_for(revision))


def test_model_and_queryset_refuse_a_new_code_or_title_once_signed(world):
    document, _ = _reviewed(world)
    document.title = "Tên khác"
    with pytest.raises(PermissionDenied):
        document.save()
    with pytest.raises(PermissionDenied):
        Document.objects.filter(pk=document.pk).update(code="QT-51")
    document.refresh_from_db()
    assert (document.code, document.title) == ("QT-50", "Quy trình tuyển sinh")
    # A save that leaves them alone (the services' own bookkeeping) still works.
    Document.objects.filter(pk=document.pk).update(process="Tuyển sinh")
    document.save(update_fields=["process"])


def test_history_revert_cannot_bring_back_an_old_title(world):
    document = make_document(world, code="QT-50", title="Tên cũ")
    _update(document, world.iso, title="Quy trình tuyển sinh")
    revision = draft_of(document)
    services.revision_submit(revision, actor=world.iso)
    services.revision_review(revision, actor=world.head, password="demo")
    old = document.history.filter(title="Tên cũ").first()
    with pytest.raises(PermissionDenied):
        old.instance.save()
    document.refresh_from_db()
    assert document.title == "Quy trình tuyển sinh"
    assert all(s.valid for s in signatures_for(revision))


def test_edit_page_and_admin_keep_a_signed_documents_code_and_title(world, client_for):
    from django.contrib.admin.sites import site

    document, revision = _reviewed(world)
    data = {
        "code": "KHAC",
        "title": "Tên khác",
        "doc_type": "procedure",
        "owner_unit": world.quality.pk,
        "owner": world.iso.pk,
        "confidentiality": "internal",
        "review_interval_months": 6,
    }
    url = reverse("documents:document_edit", args=[document.pk])
    assert client_for(world.iso).post(url, data).status_code == 302
    document.refresh_from_db()
    assert (document.code, document.title, document.review_interval_months) == (
        "QT-50",
        "Quy trình tuyển sinh",
        6,
    )
    admin = site._registry[Document]
    assert {"code", "title"} <= set(admin.get_readonly_fields(None, document))
    assert not {"code", "title"} & set(admin.get_readonly_fields(None, make_document(world)))


def test_publishing_refuses_when_the_approval_no_longer_matches(world):
    document, revision = _reviewed(world)
    services.revision_approve(revision, actor=world.director, password="demo")
    # Changed behind every guard (straight SQL): the approval no longer matches.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE documents_document SET title = %s WHERE id = %s", ["Tên khác", document.pk]
        )
    with pytest.raises(TransitionError):
        services.revision_publish(revision, actor=world.director, password="demo")
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.APPROVED
    assert not Signature.objects.filter(meaning=Signature.Meaning.ISSUED).exists()
    # Put back as it was signed, it publishes.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE documents_document SET title = %s WHERE id = %s",
            ["Quy trình tuyển sinh", document.pk],
        )
    services.revision_publish(revision, actor=world.director, password="demo")
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.EFFECTIVE
