"""Separation of duties on document signatures: reviewers and approvers are never the author,
and an approver holds an approving role for the document's owner unit, as the approval
authority matrix (data, ``ApprovalAuthority``) says."""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from documents import services
from documents.authority import approver_scope, may_approve
from documents.forms import RevisionForm
from documents.models import ApprovalAuthority, DocumentType, Revision
from ims.models import Role, Signature
from ims.transitions import TransitionError
from tests.documents.factories import draft_of, make_document

pytestmark = pytest.mark.django_db


def school_procedure(world, **kwargs):
    kwargs.setdefault("reviewers", [world.iso])
    kwargs.setdefault("approver", world.principal)
    return make_document(world, unit=world.school, owner=world.teacher, **kwargs)


# --- the matrix ---------------------------------------------------------------------------------


def test_the_default_matrix_is_loaded_as_reference_data():
    rows = set(ApprovalAuthority.objects.values_list("doc_type", "role", "level"))
    assert ("procedure", "principal", "own_unit") in rows
    assert ("procedure", "quality_manager", "unit_or_above") in rows
    assert {r for r in rows if r[0] == "policy"} == {("policy", "director", "unit_or_above")}
    assert {t for t, _r, _l in rows} == set(DocumentType.values)


@pytest.mark.parametrize(
    "person, unit, doc_type, allowed",
    [
        ("director", "school", "procedure", True),  # at a unit above
        ("iso", "school", "procedure", True),
        ("principal", "school", "procedure", True),  # the unit's own head
        ("principal2", "school", "procedure", False),  # another school's head
        ("head", "school", "procedure", False),  # a head elsewhere, not above
        ("teacher", "school", "procedure", False),  # staff never approve
        ("auditor", "school", "procedure", False),
        ("head", "division", "procedure", True),
        ("principal", "division", "procedure", False),  # a head below the unit
        ("director", "quality", "policy", True),
        ("iso", "quality", "policy", False),  # the policy is top management's
    ],
)
def test_who_may_approve(world, person, unit, doc_type, allowed):
    document = make_document(world, unit=getattr(world, unit), doc_type=doc_type)
    assert may_approve(getattr(world, person), document) is allowed


def test_the_matrix_is_data_an_admin_changes(world):
    document = school_procedure(world)
    ApprovalAuthority.objects.filter(doc_type="procedure", role=Role.PRINCIPAL).update(
        is_active=False
    )
    assert not may_approve(world.principal, document)
    ApprovalAuthority.objects.filter(doc_type="procedure", role=Role.STAFF).delete()
    ApprovalAuthority.objects.create(
        doc_type="procedure", role=Role.STAFF, level=ApprovalAuthority.Level.OWN_UNIT
    )
    document = type(document).objects.get(pk=document.pk)  # no remembered grants
    assert may_approve(world.teacher, document)


# --- the services -------------------------------------------------------------------------------


def test_another_schools_principal_cannot_be_named_approver_with_the_rule_named(world):
    with pytest.raises(ValidationError) as error, translation.override("en"):
        school_procedure(world, approver=world.principal2)
    message = " ".join(error.value.message_dict["approver"])
    assert "cannot approve this document" in message
    assert (
        "Approval authority matrix" in message
        and "Principal or Unit head of Trường Tiểu học Tô Hiệu" in message
    )


def test_the_author_cannot_be_named_reviewer(world):
    with pytest.raises(ValidationError) as error:
        school_procedure(world, reviewers=[world.teacher])
    assert "reviewers" in error.value.message_dict


def test_a_teacher_cannot_be_named_approver(world):
    with pytest.raises(ValidationError) as error:
        make_document(world, unit=world.school, owner=world.principal, approver=world.teacher)
    assert "approver" in error.value.message_dict


def test_an_author_named_reviewer_by_old_data_cannot_submit_or_sign(world):
    document = school_procedure(world)
    revision = draft_of(document)
    revision.reviewers.add(world.teacher)  # written before the rule
    with pytest.raises(TransitionError):
        services.revision_submit(revision, actor=world.teacher)
    revision.reviewers.remove(world.teacher)
    services.revision_submit(revision, actor=world.teacher)
    revision.reviewers.add(world.teacher)
    assert not Revision.objects.get(pk=revision.pk).can_review(world.teacher)
    with pytest.raises(PermissionDenied) as error, translation.override("en"):
        services.revision_review(revision, actor=world.teacher, password="demo")
    with translation.override("en"):  # the message is lazy: read it in English
        assert "The author cannot review their own revision." in str(error.value)
    assert not Signature.objects.for_object(revision).exists()


def in_review_at_school(world):
    document = school_procedure(world)
    revision = draft_of(document)
    services.revision_submit(revision, actor=world.teacher)
    services.revision_review(revision, actor=world.iso, password="demo")
    return document, Revision.objects.get(pk=revision.pk)


def test_an_approver_the_matrix_no_longer_lists_cannot_approve(world):
    document, revision = in_review_at_school(world)
    assert revision.can_approve(world.principal)
    # The Department changes the matrix while the revision waits: principals no longer approve.
    ApprovalAuthority.objects.filter(role=Role.PRINCIPAL).update(is_active=False)
    revision = Revision.objects.get(pk=revision.pk)
    assert not revision.can_approve(world.principal)
    with pytest.raises(PermissionDenied) as error, translation.override("en"):
        services.revision_approve(revision, actor=world.principal, password="demo")
    assert "Approval authority matrix" in str(error.value)
    revision.refresh_from_db()
    assert revision.status == "in_review"
    assert not Signature.objects.for_object(revision).filter(meaning="approved").exists()


def test_submit_refuses_an_approver_who_lost_the_role(world):
    document = school_procedure(world)
    world.principal.memberships.update(role=Role.STAFF)
    with pytest.raises(TransitionError):
        services.revision_submit(draft_of(document), actor=world.teacher)


# --- the pickers and the page ---------------------------------------------------------------------


def test_the_approver_picker_offers_only_eligible_people(world):
    document = school_procedure(world)
    people = set(approver_scope(world.teacher, document, world.teacher).people())
    assert people == {world.director, world.iso, world.principal}
    form = RevisionForm(user=world.teacher, document=document)
    assert set(form.fields["approver"].scope.people()) == people
    assert world.teacher not in set(form.fields["reviewers"].scope.people())


def test_the_picker_refuses_a_forged_approver(world):
    document = school_procedure(world)
    form = RevisionForm(
        data={"change_summary": "x", "reviewers": [world.iso.pk], "approver": world.head.pk},
        user=world.teacher,
        document=document,
        file_required=False,
    )
    assert not form.is_valid() and "approver" in form.errors


def test_the_search_endpoint_lists_only_eligible_approvers(world, client_for):
    document = school_procedure(world)
    form = RevisionForm(user=world.teacher, document=document)
    token = form.fields["approver"].scope.token(world.teacher)
    response = client_for(world.teacher).get(
        reverse("ims:people_search"),
        {"picker_scope": token, "picker_name": "approver", "approver_q": "Người dùng"},
    )
    assert response.status_code == 200
    offered = {int(pk) for pk in re.findall(r'name="approver" value="(\d+)"', response.text)}
    assert offered == {world.director.pk, world.iso.pk, world.principal.pk}


def test_approve_and_sign_is_offered_only_to_an_eligible_approver(world, client_for):
    document, revision = in_review_at_school(world)
    url = reverse("documents:document_detail", args=[document.pk])
    approve = reverse("documents:revision_action", args=[revision.pk, "approve"])
    assert approve in client_for(world.principal).get(url).content.decode()
    ApprovalAuthority.objects.filter(role=Role.PRINCIPAL).update(is_active=False)
    assert approve not in client_for(world.principal).get(url).content.decode()


def test_the_matrix_has_an_admin_with_history(world, client):
    from ims.models import User

    admin = User.objects.create_superuser("root", "root@example.test", "demo")
    client.force_login(admin)
    row = ApprovalAuthority.objects.get(doc_type="procedure", role=Role.PRINCIPAL)
    assert client.get(reverse("admin:documents_approvalauthority_changelist")).status_code == 200
    url = reverse("admin:documents_approvalauthority_history", args=[row.pk])
    assert client.get(url).status_code == 200
    row.is_active = False
    row.save()
    assert row.history.first().is_active is False
