"""API tokens on *My settings*: create (shown once), list (own only), revoke (owner only)."""

import pytest
from django.urls import reverse

from ims.models import ApiToken
from ims.models.tokens import token_digest
from ims.tokens import api_token_create

pytestmark = pytest.mark.django_db


def test_a_new_token_is_shown_once_and_stored_as_its_digest(world, client_for):
    client = client_for(world.auditor)
    response = client.post(reverse("ims:api_token_create"), {"name": "Máy tính bảng"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    token = ApiToken.objects.get(user=world.auditor)
    raw = response.context["new_token"]
    assert raw.startswith(token.prefix) and token.digest == token_digest(raw)
    assert raw.encode() in response.content
    again = client.get(reverse("ims:profile"))
    assert raw.encode() not in again.content
    assert token.prefix.encode() in again.content and "Máy tính bảng" in again.text


def test_a_token_without_a_name_is_refused_and_nothing_is_created(world, client_for):
    response = client_for(world.auditor).post(reverse("ims:api_token_create"), {"name": " "})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_the_owner_sees_only_their_own_tokens(world, client_for):
    api_token_create(actor=world.auditor, name="TOKEN-AUDITOR")
    api_token_create(actor=world.iso, name="TOKEN-ISO")
    with_queries = client_for(world.auditor).get(reverse("ims:profile"))
    assert "TOKEN-AUDITOR" in with_queries.text and "TOKEN-ISO" not in with_queries.text


def test_the_owner_revokes_a_token_and_it_stops_working(world, client_for):
    token, raw = api_token_create(actor=world.auditor, name="x")
    response = client_for(world.auditor).post(reverse("ims:api_token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert not ApiToken.objects.active().filter(pk=token.pk).exists()
    assert "x" not in [
        t.name for t in ApiToken.objects.for_user(world.auditor).filter(revoked_at=None)
    ]


def test_another_user_cannot_revoke_a_token(world, client_for):
    token, _raw = api_token_create(actor=world.auditor, name="x")
    for user in (world.iso, world.director, world.principal2):
        response = client_for(user).post(reverse("ims:api_token_revoke", args=[token.pk]))
        assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoke_needs_post(world, client_for):
    token, _raw = api_token_create(actor=world.auditor, name="x")
    response = client_for(world.auditor).get(reverse("ims:api_token_revoke", args=[token.pk]))
    assert response.status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_token_history_never_holds_the_digest(world):
    token, _raw = api_token_create(actor=world.auditor, name="x")
    row = token.history.get()
    assert not hasattr(row, "digest") and row.history_user == world.auditor


def test_the_settings_page_has_flat_queries(world, client_for, django_assert_max_num_queries):
    for n in range(5):
        api_token_create(actor=world.auditor, name=f"t{n}")
    client = client_for(world.auditor)
    client.get(reverse("ims:profile"))
    with django_assert_max_num_queries(5):
        response = client.get(reverse("ims:profile"))
    assert response.text.count("<details><summary>") == 5


def test_the_admin_lists_tokens_read_only_without_the_digest(world, client_for):
    token, _raw = api_token_create(actor=world.auditor, name="TOKEN-ADMIN")
    world.director.is_staff = world.director.is_superuser = True
    world.director.save(update_fields=["is_staff", "is_superuser"])
    admin = client_for(world.director)
    listing = admin.get(reverse("admin:ims_apitoken_changelist"))
    assert listing.status_code == 200 and "TOKEN-ADMIN" in listing.text
    detail = admin.get(reverse("admin:ims_apitoken_change", args=[token.pk]))
    assert detail.status_code == 200 and token.digest not in detail.text
    assert admin.get(reverse("admin:ims_apitoken_add")).status_code == 403
    response = admin.post(reverse("admin:ims_apitoken_change", args=[token.pk]), {"name": "y"})
    assert response.status_code == 403
    token.refresh_from_db()
    assert token.name == "TOKEN-ADMIN"
