"""A document's owner keeps the owner's rights only while they belong to the owner unit."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from documents import services
from documents.models import Document
from ims.models import Membership, Role
from tests.documents.factories import effective_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(world):
    # Owned by a teacher of the school, as a school's own procedure is.
    return effective_document(world, unit=world.school, owner=world.teacher, author=world.principal)


def moved_to_another_school(world):
    Membership.objects.filter(user=world.teacher, unit=world.school).update(is_active=False)
    Membership.objects.create(user=world.teacher, unit=world.school2, role=Role.STAFF)


def test_owner_who_belongs_to_the_unit_may_edit(world, document):
    assert document.can_edit(world.teacher)
    assert document.can_withdraw(world.teacher) and document.can_confirm_review(world.teacher)
    services.document_update(document, actor=world.teacher, data={"process": "Dạy học"})
    assert Document.objects.get(pk=document.pk).process == "Dạy học"


def test_owner_who_left_the_unit_loses_the_owners_rights(world, document, client_for):
    moved_to_another_school(world)
    document = Document.objects.get(pk=document.pk)
    assert document.owner == world.teacher  # still named
    assert not document.can_edit(world.teacher)
    assert not document.can_withdraw(world.teacher)
    assert not document.can_confirm_review(world.teacher)
    assert not document.can_add_revision(world.teacher)
    with pytest.raises(PermissionDenied):
        services.document_update(document, actor=world.teacher, data={"process": "Đổi"})
    response = client_for(world.teacher).get(reverse("documents:document_edit", args=[document.pk]))
    assert response.status_code in (403, 404)
    assert Document.objects.get(pk=document.pk).process != "Đổi"
    # The school's principal (a head, not a manager) never had them; the director still has.
    assert not document.can_edit(world.principal2)
    assert document.can_edit(world.director)


def test_owner_at_a_unit_below_keeps_the_rights(world):
    # A division's document owned by someone working in the division: at the unit itself.
    document = effective_document(world, unit=world.root, owner=world.head, author=world.iso)
    assert document.can_edit(world.head)  # the head works below the owner unit
