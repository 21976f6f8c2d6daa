"""Signatures and transition events never change, usernames are never renamed: refused by the
models and their querysets on every database, by the admin, and by PostgreSQL triggers."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction

from ims.models import Signature, TransitionEvent, User
from ims.transitions import record_transition

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the triggers exist only on PostgreSQL (run with DATABASE_URL=postgres://...)",
)


@pytest.fixture
def signature(world):
    world.school.signature_payload = lambda: {"unit": world.school.name}
    from ims.signatures import sign

    return sign(world.school, signer=world.principal, password="demo", meaning="approved")


@pytest.fixture
def event(world):
    return record_transition(
        world.school, actor=world.iso, action="test", from_state="a", to_state="b"
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


# --- every database: the querysets --------------------------------------------------------


@pytest.mark.parametrize("model", [Signature, TransitionEvent])
def test_queryset_update_is_refused(model, signature, event):
    row = model.objects.get()
    field = "comment" if model is Signature else "reason"
    with pytest.raises(PermissionDenied):
        model.objects.filter(pk=row.pk).update(**{field: "rewritten"})
    with pytest.raises(PermissionDenied):
        model.objects.update(**{field: "rewritten"})
    setattr(row, field, "rewritten")
    with pytest.raises(PermissionDenied):
        model.objects.bulk_update([row], [field])
    assert getattr(model.objects.get(pk=row.pk), field) == ""


@pytest.mark.parametrize("model", [Signature, TransitionEvent])
def test_queryset_delete_is_refused(model, signature, event):
    with pytest.raises(PermissionDenied):
        model.objects.filter(pk=model.objects.get().pk).delete()
    assert model.objects.count() == 1


# --- the admin ------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.test", "pw")
    client.force_login(root)
    return client


@pytest.mark.parametrize(
    ("model", "url"), [(Signature, "ims/signature"), (TransitionEvent, "ims/transitionevent")]
)
def test_admin_cannot_change_or_bulk_delete(model, url, signature, event, admin_client):
    row = model.objects.get()
    changelist = admin_client.get(f"/admin/{url}/")
    assert changelist.status_code == 200
    assert "delete_selected" not in changelist.content.decode()
    admin_client.post(
        f"/admin/{url}/", {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"}
    )
    assert model.objects.filter(pk=row.pk).exists()
    assert admin_client.post(f"/admin/{url}/{row.pk}/change/", {}).status_code == 403
    assert admin_client.post(f"/admin/{url}/{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=row.pk).exists()


# --- usernames ------------------------------------------------------------------------------


def test_username_cannot_be_renamed(world):
    teacher = User.objects.get(username="teacher")
    teacher.username = "teacher-renamed"
    with pytest.raises(PermissionDenied):
        teacher.save()
    with pytest.raises(PermissionDenied):
        teacher.save(update_fields=["username"])
    with pytest.raises(PermissionDenied):
        User.objects.filter(pk=teacher.pk).update(username="teacher-renamed")
    # An object built in this process (never loaded) is checked against the database too.
    world.teacher.username = "teacher-renamed"
    with pytest.raises(PermissionDenied):
        world.teacher.save()
    assert User.objects.filter(username="teacher").exists()
    assert not User.objects.filter(username="teacher-renamed").exists()


def test_other_account_fields_still_change(world):
    teacher = User.objects.get(username="teacher")
    teacher.full_name = "Lò Văn Mới"
    teacher.save()
    User.objects.filter(pk=teacher.pk).update(phone="0912345678")
    teacher.refresh_from_db()
    assert (teacher.full_name, teacher.phone) == ("Lò Văn Mới", "0912345678")


def test_admin_shows_the_username_read_only_once_created(world, admin_client):
    url = f"/admin/ims/user/{world.teacher.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200
    assert 'name="username"' not in page.content.decode()
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k not in ("password",)}
    data.update(
        {
            "username": "renamed",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        }
    )
    admin_client.post(url, data)
    assert User.objects.get(pk=world.teacher.pk).username == "teacher"
    assert 'name="username"' in admin_client.get("/admin/ims/user/add/").content.decode()


# --- PostgreSQL: the triggers ---------------------------------------------------------------


@postgres_only
def test_database_refuses_to_change_or_delete_a_signature(signature):
    assert refused_sql("UPDATE ims_signature SET comment = 'x' WHERE id = %s", [signature.pk])
    assert refused_sql("DELETE FROM ims_signature WHERE id = %s", [signature.pk])
    assert Signature.objects.get(pk=signature.pk).comment == ""


@postgres_only
def test_database_refuses_to_change_or_delete_a_transition_event(event):
    assert refused_sql("UPDATE ims_transitionevent SET reason = 'x' WHERE id = %s", [event.pk])
    assert refused_sql("DELETE FROM ims_transitionevent WHERE id = %s", [event.pk])
    assert TransitionEvent.objects.get(pk=event.pk).reason == ""


@postgres_only
def test_database_refuses_a_rename_but_not_other_changes(world):
    pk = world.teacher.pk
    assert refused_sql("UPDATE ims_user SET username = 'x' WHERE id = %s", [pk])
    assert not refused_sql("UPDATE ims_user SET full_name = 'Mới' WHERE id = %s", [pk])
    assert User.objects.get(pk=pk).username == "teacher"
