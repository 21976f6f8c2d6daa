"""Effective and superseded revisions cannot be changed: not by a form, the admin or the ORM."""

import pytest
from django.core.exceptions import PermissionDenied

from documents.models import Revision
from tests.documents.factories import draft_of, make_document, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def effective(world):
    return publish(draft_of(make_document(world)))


def test_orm_save_of_effective_revision_raises(effective):
    effective.change_summary = "Sửa lén"
    with pytest.raises(PermissionDenied):
        effective.save()
    with pytest.raises(PermissionDenied):
        effective.save(update_fields=["change_summary"])
    assert Revision.objects.get(pk=effective.pk).change_summary == "Ban hành lần đầu."


def test_queryset_update_of_effective_revision_raises(effective):
    with pytest.raises(PermissionDenied):
        Revision.objects.filter(pk=effective.pk).update(sha256="0" * 64)
    with pytest.raises(PermissionDenied):
        Revision.objects.filter(pk=effective.pk).delete()
    assert Revision.objects.get(pk=effective.pk).sha256 == effective.sha256


def test_superseded_revision_is_locked_too(world, effective):
    from documents import services
    from tests.documents.factories import pdf_upload

    second = services.revision_create(
        effective.document,
        actor=world.iso,
        upload=pdf_upload(),
        change_summary="Lần 2",
        reviewers=[world.head],
        approver=world.director,
    )
    publish(second)
    effective.refresh_from_db()
    assert effective.status == "superseded"
    effective.change_summary = "x"
    with pytest.raises(PermissionDenied):
        effective.save()


def test_admin_refuses_to_change_effective_revision(effective, client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.test", "pw")
    client.force_login(admin)
    url = f"/admin/documents/revision/{effective.pk}/change/"
    response = client.post(url, {"change_summary": "Sửa qua admin", "number": 1})
    assert response.status_code == 403
    assert Revision.objects.get(pk=effective.pk).change_summary == "Ban hành lần đầu."
    page = client.get(url)
    assert page.status_code == 200 and 'name="change_summary"' not in page.content.decode()


def test_draft_can_still_be_edited(world):
    revision = draft_of(make_document(world))
    revision.change_summary = "Sửa dự thảo"
    revision.save()
    assert Revision.objects.get(pk=revision.pk).change_summary == "Sửa dự thảo"


def test_effective_revision_cannot_go_back_to_draft(effective):
    with pytest.raises(PermissionDenied):
        Revision.objects.filter(pk=effective.pk).update(status="draft")
    effective.status = "draft"
    with pytest.raises(PermissionDenied):
        effective.save(update_fields=["status"])
    assert Revision.objects.get(pk=effective.pk).status == "effective"


def test_superseded_revision_cannot_become_effective_again(world, effective):
    Revision.objects.filter(pk=effective.pk).update(status="superseded")  # the allowed move
    with pytest.raises(PermissionDenied):
        Revision.objects.filter(pk=effective.pk).update(status="effective")
