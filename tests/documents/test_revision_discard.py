"""A draft's author can discard it: it ends with a reason, stays in history, leaves the lists."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from documents import services
from documents.models import Revision, RevisionStatus
from ims.models import TransitionEvent
from ims.transitions import TransitionError
from tests.documents.factories import draft_of, effective_document, make_document

pytestmark = pytest.mark.django_db


def _discard(client, revision, reason="Sai mẫu, làm lại."):
    return client.post(
        reverse("documents:revision_action", args=[revision.pk, "discard"]),
        {"reason": reason},
        follow=True,
    )


def test_author_discards_own_draft_with_reason_and_it_stays_in_history(world):
    revision = draft_of(make_document(world))
    services.revision_discard(revision, actor=world.iso, reason="Trùng với QT-02")
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.DISCARDED
    assert Revision.objects.filter(pk=revision.pk).exists()  # never deleted
    event = TransitionEvent.objects.for_object(revision).get(action="discard")
    assert (event.actor, event.from_state, event.to_state, event.reason) == (
        world.iso,
        "draft",
        "discarded",
        "Trùng với QT-02",
    )
    assert revision.history.filter(status="discarded").exists()


def test_discard_needs_a_reason_and_changes_nothing_without_one(world):
    revision = draft_of(make_document(world))
    with pytest.raises(ValidationError):
        services.revision_discard(revision, actor=world.iso, reason="  ")
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.DRAFT
    assert not TransitionEvent.objects.filter(action="discard").exists()


def test_only_the_author_may_discard_not_a_manager_or_reviewer(world):
    revision = draft_of(make_document(world, owner=world.iso, author=world.iso))
    for other in (world.director, world.head):
        with pytest.raises(PermissionDenied):
            services.revision_discard(revision, actor=other, reason="Không cần")
    assert Revision.objects.get(pk=revision.pk).status == RevisionStatus.DRAFT


def test_a_submitted_revision_cannot_be_discarded(world):
    revision = draft_of(make_document(world))
    services.revision_submit(revision, actor=world.iso)
    with pytest.raises(TransitionError):
        services.revision_discard(revision, actor=world.iso, reason="Không cần")


def test_discarded_draft_leaves_the_register_and_a_new_revision_can_start(world, client_for):
    document = make_document(world, code="QT-BO-01")
    services.revision_discard(draft_of(document), actor=world.iso, reason="Làm lại")
    document.refresh_from_db()
    assert document.status == RevisionStatus.DISCARDED
    page = client_for(world.iso).get(reverse("documents:register")).content.decode()
    assert "QT-BO-01" not in page
    found = client_for(world.iso).get(reverse("documents:register"), {"status": "discarded"})
    assert "QT-BO-01" in found.content.decode()
    assert document.can_add_revision(world.iso)


def test_discarding_a_new_draft_keeps_the_effective_revision_current(world):
    document = effective_document(world)
    services.revision_create(document, actor=world.iso, upload=_pdf(), change_summary="Sửa mục 3")
    services.revision_discard(draft_of(document), actor=world.iso, reason="Không cần sửa")
    document.refresh_from_db()
    assert document.status == RevisionStatus.EFFECTIVE


def _pdf():
    from tests.documents.factories import pdf_upload

    return pdf_upload()


def test_discard_through_the_page_owner_member_outsider(world, client_for):
    revision = draft_of(make_document(world, owner=world.iso, author=world.iso))
    detail = reverse("documents:document_detail", args=[revision.document_id])
    assert 'data-testid="discard"' in client_for(world.iso).get(detail).content.decode()
    assert 'data-testid="discard"' not in client_for(world.director).get(detail).content.decode()
    # A manager who may see the draft is refused with a message; an outsider gets 404.
    response = _discard(client_for(world.director), revision)
    with translation.override("vi"):
        refused = translation.gettext("Only the author may discard this draft.")
    assert refused in " ".join(str(m) for m in response.context["messages"])
    outsider = client_for(world.principal2).post(
        reverse("documents:revision_action", args=[revision.pk, "discard"]), {"reason": "x"}
    )
    assert outsider.status_code == 404
    assert Revision.objects.get(pk=revision.pk).status == RevisionStatus.DRAFT
    # No reason: a message, nothing changed.
    response = _discard(client_for(world.iso), revision, reason="")
    assert Revision.objects.get(pk=revision.pk).status == RevisionStatus.DRAFT
    response = _discard(client_for(world.iso), revision)
    assert Revision.objects.get(pk=revision.pk).status == RevisionStatus.DISCARDED
    page = response.content.decode()
    assert "Sai mẫu, làm lại." in page  # the reason shows in the revision's workflow history
