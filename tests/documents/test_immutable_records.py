"""Acknowledgements never change; a revision's content is frozen from submission on, while its
lifecycle still moves. Refused by the models, their querysets and the admin on every database,
and by PostgreSQL triggers."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction

from documents import services
from documents.models import Acknowledgement, Revision, RevisionStatus
from tests.documents.factories import draft_of, effective_document, make_document, publish

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the triggers exist only on PostgreSQL (run with DATABASE_URL=postgres://...)",
)


def refused_sql(sql, params):
    """Run ``sql`` in a savepoint; True when the database refuses it."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except IntegrityError as error:
        assert "refused" in str(error)
        return True
    return False


@pytest.fixture
def acknowledgement(world):
    document = effective_document(world, users=[world.teacher])
    services.revision_opened(document.effective_revision, actor=world.teacher, via="view")
    return services.revision_acknowledge(document.effective_revision, actor=world.teacher)


@pytest.fixture
def in_review(world):
    revision = draft_of(make_document(world))
    services.revision_submit(revision, actor=revision.author)
    return Revision.objects.get(pk=revision.pk)


@pytest.fixture
def admin_client(client, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.test", "pw")
    client.force_login(root)
    return client


# --- acknowledgements -----------------------------------------------------------------------


def test_acknowledgement_cannot_be_changed_or_deleted(acknowledgement):
    later = acknowledgement.acknowledged_at.replace(year=2000)
    acknowledgement.acknowledged_at = later
    with pytest.raises(PermissionDenied):
        acknowledgement.save()
    with pytest.raises(PermissionDenied):
        acknowledgement.delete()
    with pytest.raises(PermissionDenied):
        Acknowledgement.objects.filter(pk=acknowledgement.pk).update(acknowledged_at=later)
    with pytest.raises(PermissionDenied):
        Acknowledgement.objects.bulk_update([acknowledgement], ["acknowledged_at"])
    with pytest.raises(PermissionDenied):
        Acknowledgement.objects.all().delete()
    stored = Acknowledgement.objects.get(pk=acknowledgement.pk)
    assert stored.acknowledged_at.year != 2000


def test_admin_cannot_add_change_or_bulk_delete_acknowledgements(acknowledgement, admin_client):
    url = "/admin/documents/acknowledgement/"
    changelist = admin_client.get(url)
    assert changelist.status_code == 200
    assert "delete_selected" not in changelist.content.decode()
    admin_client.post(
        url, {"action": "delete_selected", "_selected_action": [acknowledgement.pk], "post": "yes"}
    )
    pk = acknowledgement.pk
    assert admin_client.post(f"{url}{pk}/change/", {}).status_code == 403
    assert admin_client.post(f"{url}{pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin_client.get(f"{url}add/").status_code == 403
    assert Acknowledgement.objects.filter(pk=pk).exists()


# --- revision content -----------------------------------------------------------------------


def test_submitted_revision_content_is_frozen(in_review):
    in_review.change_summary = "Sửa sau khi trình"
    with pytest.raises(PermissionDenied):
        in_review.save()
    with pytest.raises(PermissionDenied):
        in_review.save(update_fields=["change_summary"])
    with pytest.raises(PermissionDenied):
        Revision.objects.filter(pk=in_review.pk).update(sha256="0" * 64)
    with pytest.raises(PermissionDenied):
        Revision.objects.filter(pk=in_review.pk).update(author_id=in_review.approver_id)
    assert Revision.objects.get(pk=in_review.pk).change_summary == "Ban hành lần đầu."


def test_submitted_revision_still_moves_and_saves_unchanged(world, in_review):
    in_review.save()  # nothing changed: allowed
    revision = publish(in_review)
    assert revision.status == RevisionStatus.EFFECTIVE


def test_returned_draft_is_editable_again(world, in_review):
    services.revision_return(in_review, actor=world.head, reason="Bổ sung mục 4")
    draft = Revision.objects.get(pk=in_review.pk)
    draft.change_summary = "Đã bổ sung mục 4"
    draft.save()
    Revision.objects.filter(pk=draft.pk).update(change_summary="Đã bổ sung mục 4 và 5")
    assert Revision.objects.get(pk=draft.pk).change_summary == "Đã bổ sung mục 4 và 5"


def test_admin_cannot_change_a_submitted_revision(in_review, admin_client):
    url = f"/admin/documents/revision/{in_review.pk}/change/"
    response = admin_client.post(url, {"change_summary": "Sửa qua admin", "number": 1})
    assert response.status_code == 403
    assert Revision.objects.get(pk=in_review.pk).change_summary == "Ban hành lần đầu."


# --- PostgreSQL: the triggers ---------------------------------------------------------------


@postgres_only
def test_database_refuses_to_change_or_delete_an_acknowledgement(acknowledgement):
    pk = acknowledgement.pk
    table = "documents_acknowledgement"
    assert refused_sql(f"UPDATE {table} SET acknowledged_at = now() WHERE id = %s", [pk])  # noqa: S608
    assert refused_sql(f"DELETE FROM {table} WHERE id = %s", [pk])  # noqa: S608
    assert Acknowledgement.objects.filter(pk=pk).exists()


@postgres_only
def test_database_freezes_revision_content_from_submission(world, in_review):
    pk = in_review.pk
    assert refused_sql("UPDATE documents_revision SET change_summary = 'x' WHERE id = %s", [pk])
    assert refused_sql("UPDATE documents_revision SET approver_id = NULL WHERE id = %s", [pk])
    assert refused_sql("DELETE FROM documents_revision WHERE id = %s", [pk])
    # The lifecycle still moves (non-content fields).
    assert not refused_sql(
        "UPDATE documents_revision SET status = 'approved', approved_at = now() WHERE id = %s",
        [pk],
    )


@postgres_only
def test_database_keeps_an_effective_revision_moving_forward_only(world):
    revision = publish(draft_of(make_document(world)))
    pk = revision.pk
    assert refused_sql("UPDATE documents_revision SET sha256 = %s WHERE id = %s", ["0" * 64, pk])
    assert refused_sql("UPDATE documents_revision SET status = 'draft' WHERE id = %s", [pk])
    assert refused_sql(
        "UPDATE documents_revision SET effective_date = effective_date - 1 WHERE id = %s", [pk]
    )
    assert refused_sql("DELETE FROM documents_revision WHERE id = %s", [pk])
    assert not refused_sql(
        "UPDATE documents_revision SET status = 'obsolete', obsolete_at = now(), "
        "obsolete_reason = 'Gộp' WHERE id = %s",
        [pk],
    )
    assert refused_sql("UPDATE documents_revision SET status = 'effective' WHERE id = %s", [pk])
    assert Revision.objects.get(pk=pk).status == RevisionStatus.OBSOLETE


@postgres_only
def test_database_lets_a_draft_change_and_go(world):
    revision = draft_of(make_document(world))
    pk = revision.pk
    assert not refused_sql(
        "UPDATE documents_revision SET change_summary = 'Sửa' WHERE id = %s", [pk]
    )
    assert not refused_sql("DELETE FROM documents_revision_reviewers WHERE revision_id = %s", [pk])
    assert not refused_sql("DELETE FROM documents_revision WHERE id = %s", [pk])
