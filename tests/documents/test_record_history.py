"""The document page's record history shows each change as "field: old → new"."""

import pytest
from django.urls import reverse
from django.utils import translation

from documents import services
from tests.documents.factories import make_document

pytestmark = pytest.mark.django_db


def test_document_page_shows_each_change(world, client_for):
    world.iso.language = "en"
    world.iso.save()
    document = make_document(world, title="Quy trình cũ")
    services.document_update(
        document,
        actor=world.iso,
        data={"title": "Quy trình mới", "review_interval_months": 6, "confidentiality": "public"},
    )
    page = client_for(world.iso).get(reverse("documents:document_detail", args=[document.pk]))
    text = page.content.decode()
    assert "<strong>Title:</strong> Quy trình cũ → Quy trình mới" in text
    assert "<strong>Review interval (months):</strong> 12 → 6" in text
    assert "<strong>Confidentiality:</strong> Internal → Public" in text  # the choices' labels


def test_links_to_other_domain_records_are_left_out(world):
    from ims.history import changes

    restricted = make_document(world, title="Tài liệu mật", confidentiality="restricted")
    document = make_document(world, title="Quy trình")
    services.document_update(document, actor=world.iso, data={"replaced_by": restricted})
    fields = [c["field"] for h in changes(document.history.all()) for c in h.changes]
    assert fields == []  # only the link changed, and its title is not for every reader


# Documents models deliberately without history, and why.
NO_HISTORY = {
    "CoverageCount": "a derived roll-up, re-counted from rows that keep history",
    "Opening": "append-only (ims.immutable): written once per person and revision, never changed",
}


def test_every_documents_model_has_history_or_a_reason_not_to():
    from django.apps import apps

    missing = [
        model.__name__
        for model in apps.get_app_config("documents").get_models()
        if not model.__name__.startswith("Historical")
        and model.__name__ not in NO_HISTORY
        and not hasattr(model, "history")
    ]
    assert missing == []


def test_revision_workflow_names_each_state(world, client_for):
    """The revision's steps read "Draft → In review", not "— →" with the states left blank."""
    from documents.models import RevisionStatus
    from tests.documents.factories import effective_document

    world.iso.language = "en"
    world.iso.save()
    document = effective_document(world)
    page = client_for(world.iso).get(reverse("documents:document_detail", args=[document.pk]))
    steps = [(e.from_state, e.to_label) for e in page.context["revisions"][0].events]
    with translation.override("en"):
        assert ("approved", str(RevisionStatus.EFFECTIVE.label)) in steps
        assert "Approved → Effective" in page.content.decode()
