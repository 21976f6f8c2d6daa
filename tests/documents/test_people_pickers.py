"""Owner, readers, reviewers, approver and recipients are found by typing among the people the
author works with; a page never lists everyone, and a forged id is a form error."""

import pytest
from django.urls import reverse

from documents.models import Distribution, Document
from ims.models import Role
from tests.documents.factories import draft_of, effective_document, make_document, pdf_upload
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def _create(client, world, **overrides):
    data = {
        "code": "QT-TH-01",
        "title": "Quy trình tuyển sinh",
        "doc_type": "procedure",
        "owner_unit": world.school.pk,
        "owner": world.principal.pk,
        "confidentiality": "internal",
        "review_interval_months": 12,
        "file": pdf_upload(),
        "change_summary": "Ban hành lần đầu",
        "reviewers": [world.teacher.pk],
        "approver": world.director.pk,
        **overrides,
    }
    return client.post(reverse("documents:document_create"), data)


def test_document_form_saves_people_in_scope(world, client_for):
    response = _create(client_for(world.principal), world)
    assert response.status_code == 302
    document = Document.objects.get(code="QT-TH-01")
    assert document.owner == world.principal
    revision = document.revisions.get()
    assert list(revision.reviewers.all()) == [world.teacher]
    assert revision.approver == world.director


@pytest.mark.parametrize("field", ["owner", "reviewers", "approver", "restricted_to"])
def test_document_form_refuses_a_person_from_another_school(world, client_for, field):
    extra = {"confidentiality": "restricted"} if field == "restricted_to" else {}
    response = _create(client_for(world.principal), world, **{field: world.principal2.pk}, **extra)
    assert response.status_code == 200
    assert not Document.objects.filter(code="QT-TH-01").exists()
    form = response.context["form"] if field in ("owner", "restricted_to") else None
    form = form or response.context["revision_form"]
    assert form.has_error(field, "not_assignable")


def test_document_form_finds_a_typed_name_without_javascript(world, client_for):
    response = _create(client_for(world.principal), world, owner="", owner_q="teacher")
    assert response.status_code == 302
    assert Document.objects.get(code="QT-TH-01").owner == world.teacher


def test_revision_form_refuses_the_author_as_approver(world, client_for):
    document = effective_document(world)
    response = client_for(world.iso).post(
        reverse("documents:revision_create", args=[document.pk]),
        {
            "file": pdf_upload(),
            "change_summary": "Lần 2",
            "reviewers": [world.head.pk],
            "approver": world.iso.pk,
        },
    )
    assert response.status_code == 200
    assert document.revisions.count() == 1


def test_distribution_refuses_people_out_of_scope(world, client_for):
    revision = draft_of(make_document(world, unit=world.school, owner=world.principal))
    url = reverse("documents:distribution_add", args=[revision.pk])
    client = client_for(world.principal)
    client.post(url, {"users": [world.principal2.pk]})
    assert not Distribution.objects.filter(revision=revision).exists()
    client.post(url, {"users": [world.teacher.pk]})
    assert Distribution.objects.filter(revision=revision, user=world.teacher).exists()


@pytest.fixture
def crowd(world):
    """50 active staff of the Department, every one of them a possible owner or reviewer."""
    people = []
    for i in range(50):
        person = UserFactory(username=f"crowd{i}", full_name=f"Cán bộ Đông Người {i:02d}")
        MembershipFactory(user=person, unit=world.quality, role=Role.STAFF)
        people.append(person)
    return people


def test_document_form_lists_nobody_until_a_name_is_typed(
    world, crowd, client_for, django_assert_num_queries
):
    client = client_for(world.iso)
    url = reverse("documents:document_create")
    client.get(url)
    # 12: one reads the approval authority matrix (who may approve).
    with django_assert_num_queries(12):  # the same with 5 or 20,000 people
        html = client.get(url).content.decode()
    assert 'data-testid="person-picker"' in html
    assert "Đông Người" not in html
    assert "crowd" not in html
    assert "<option" not in html.split('name="owner_q"')[1].split("</div>")[0]


def test_document_page_lists_nobody_for_distribution(world, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    document = effective_document(world)
    client = client_for(world.iso)
    url = reverse("documents:document_detail", args=[document.pk])
    client.get(url)

    def queries():
        with CaptureQueriesContext(connection) as context:
            html = client.get(url).content.decode()
        return len(context.captured_queries), html

    before, _html = queries()
    for i in range(50):
        person = UserFactory(username=f"crowd{i}", full_name=f"Cán bộ Đông Người {i:02d}")
        MembershipFactory(user=person, unit=world.quality, role=Role.STAFF)
    after, html = queries()
    assert after == before  # flat as the staff grows
    assert 'name="users_q"' in html
    assert "Đông Người" not in html
