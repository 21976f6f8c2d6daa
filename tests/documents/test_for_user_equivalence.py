"""``DocumentQuerySet.for_user`` selects exactly the documents of its definition.

The definition: documents with at least one revision the user may see
(``RevisionQuerySet.for_user``), plus those the user owns or manages. The implementation is
rewritten per visibility branch for speed, and short-circuits for a manager of every root.
"""

import pytest
from django.db.models import Exists, OuterRef, Q

from documents.models import Document, Revision, manages_every_unit
from ims.access import MANAGER_ROLES, units_visible_to
from ims.models import Role
from tests.documents.factories import draft_of, effective_document, make_document
from tests.factories import MembershipFactory, UnitFactory, UserFactory, kind

pytestmark = pytest.mark.django_db


def by_definition(user):
    return set(
        Document.objects.filter(
            Q(owner_unit__in=units_visible_to(user, MANAGER_ROLES))
            | Q(owner=user)
            | Exists(Revision.objects.for_user(user).filter(document=OuterRef("pk")))
        ).values_list("code", flat=True)
    )


def visible(user):
    return set(Document.objects.for_user(user).values_list("code", flat=True))


@pytest.fixture
def docs(world):
    """One document per way of being seen (or not)."""
    effective_document(
        world, code="SCHOOL", unit=world.school, owner=world.principal, distribute_to=[world.school]
    )
    effective_document(world, code="TO-SCHOOL2", unit=world.quality, distribute_to=[world.school2])
    effective_document(world, code="TO-TEACHER", unit=world.division, users=[world.teacher])
    effective_document(
        world, code="PUBLIC2", unit=world.school2, owner=world.principal2, confidentiality="public"
    )
    listed = effective_document(world, code="RESTRICTED", confidentiality="restricted")
    listed.restricted_to.set([world.teacher])
    effective_document(world, code="RESTRICTED-NOBODY", confidentiality="restricted")
    make_document(
        world,
        code="DRAFT2",
        unit=world.school2,
        owner=world.principal2,
        reviewers=[world.head],
        approver=world.director,
    )
    # A draft distributed to the school: a distribution does not show a draft.
    draft = make_document(world, code="DRAFT-DISTRIBUTED", unit=world.quality)
    draft_of(draft).distributions.create(unit=world.school, created_by=world.iso)
    # Another province, with its own director: the first one is not a manager of every root.
    other_root = UnitFactory(code="SO2", name="Sở khác", kind=kind("department"))
    other_school = UnitFactory(code="SO2-TH", name="Trường khác", parent=other_root)
    other_director = UserFactory(username="director2")
    MembershipFactory(user=other_director, unit=other_root, role=Role.DIRECTOR)
    other_iso = UserFactory(username="iso2")
    MembershipFactory(user=other_iso, unit=other_root, role=Role.QUALITY_MANAGER)
    outsider = UserFactory(username="outsider")
    MembershipFactory(user=outsider, unit=other_school, role=Role.STAFF)
    for code, confidentiality in [("OTHER-INTERNAL", "internal"), ("OTHER-PUBLIC", "public")]:
        effective_document(
            world,
            code=code,
            unit=other_school,
            owner=other_iso,
            reviewers=[outsider],
            approver=other_director,
            confidentiality=confidentiality,
        )
    return {"other_director": other_director, "outsider": outsider, "other_root": other_root}


def test_every_user_sees_the_documents_of_the_definition(world, docs):
    users = [
        world.director,
        world.iso,
        world.auditor,
        world.head,
        world.principal,
        world.teacher,
        world.principal2,
        docs["other_director"],
        docs["outsider"],
    ]
    for user in users:
        assert visible(user) == by_definition(user), user.username
    # The fixture exercises every branch: the sets differ in the expected places.
    assert {"SCHOOL", "RESTRICTED", "TO-TEACHER", "PUBLIC2"} <= visible(world.teacher)
    assert not {"RESTRICTED-NOBODY", "DRAFT2", "DRAFT-DISTRIBUTED"} & visible(world.teacher)
    assert {"TO-SCHOOL2", "DRAFT2", "PUBLIC2"} <= visible(world.principal2)
    assert "DRAFT2" in visible(world.head)  # a named reviewer
    assert "DRAFT2" not in visible(world.principal)
    assert visible(docs["outsider"]) == {"OTHER-INTERNAL", "OTHER-PUBLIC", "PUBLIC2"}


def test_manager_of_every_root_sees_everything_without_the_revision_condition(world, docs):
    other = docs["other_root"]
    MembershipFactory(user=world.director, unit=other, role=Role.DIRECTOR)
    assert manages_every_unit(world.director)
    queryset = Document.objects.for_user(world.director)
    assert "documents_revision" not in str(queryset.query)
    assert visible(world.director) == by_definition(world.director)
    assert visible(world.director) == set(Document.objects.values_list("code", flat=True))


def test_manager_of_one_root_keeps_the_full_condition(world, docs):
    assert not manages_every_unit(world.director)  # the other province is not theirs
    assert "documents_revision" in str(Document.objects.for_user(world.director).query)
    seen = visible(world.director)
    assert seen == by_definition(world.director)
    assert "OTHER-PUBLIC" in seen and "OTHER-INTERNAL" not in seen


def test_staff_and_lower_managers_are_never_short_circuited(world, docs):
    for user in (world.teacher, world.head, world.auditor):
        assert not manages_every_unit(user)
    MembershipFactory(user=world.head, unit=world.division, role=Role.QUALITY_MANAGER)
    for cached in ("_documents_manages_every_unit", "_ims_member_roles"):
        world.head.__dict__.pop(cached, None)
    assert not manages_every_unit(world.head)
    assert visible(world.head) == by_definition(world.head)


def test_single_province_director_sees_every_document(world):
    effective_document(world, code="ONE", unit=world.school, owner=world.principal)
    make_document(world, code="TWO", unit=world.school2, owner=world.principal2)
    assert manages_every_unit(world.director) and manages_every_unit(world.iso)
    assert visible(world.director) == {"ONE", "TWO"} == by_definition(world.director)
    assert visible(world.teacher) == by_definition(world.teacher) == {"ONE"}
