"""Authentication of /api/v1/: session with CSRF, personal tokens, the error format."""

import pytest
from django.test import Client
from django.utils import timezone

from audits.models import Finding
from ims.models import ApiToken
from ims.tokens import api_token_create, api_token_revoke
from tests.api.conftest import Api, finding_body, new_id

pytestmark = pytest.mark.django_db


def test_no_credentials_is_401_with_the_error_format(world):
    response = Api(Client()).get("/findings/")
    assert response.status_code == 401
    assert set(response.json()) == {"detail", "code"}
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_session_write_without_csrf_is_refused(world, audit, api_for):
    pk = new_id()
    response = api_for(world.auditor, csrf=False).put(f"/findings/{pk}", finding_body(audit, world))
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    assert not Finding.objects.filter(pk=pk).exists()


def test_a_session_read_needs_no_csrf(world, api_for):
    assert api_for(world.auditor, csrf=False).get("/findings/").status_code == 200


def test_a_token_user_is_scoped_like_the_same_users_session(world, audit, api_for, token_api_for):
    pk = new_id()
    assert (
        token_api_for(world.auditor).put(f"/findings/{pk}", finding_body(audit, world)).status_code
        == 201
    )
    assert Finding.objects.get(pk=pk).created_by == world.auditor
    for user in (world.auditor, world.principal, world.principal2):
        by_session = api_for(user).get(f"/findings/?audit={audit.pk}").json()
        by_token = token_api_for(user).get(f"/findings/?audit={audit.pk}").json()
        assert by_session == by_token
    assert token_api_for(world.principal2).get(f"/findings/{pk}").status_code == 404


def test_a_revoked_token_is_401(world):
    token, raw = api_token_create(actor=world.auditor, name="máy tính bảng")
    api = Api(Client(), {"Authorization": f"Bearer {raw}"})
    assert api.get("/findings/").status_code == 200
    api_token_revoke(token, actor=world.auditor)
    response = api.get("/findings/")
    assert response.status_code == 401 and response.json()["code"] == "invalid_token"


def test_a_token_of_an_inactive_account_is_401(world):
    _token, raw = api_token_create(actor=world.auditor, name="x")
    world.auditor.is_active = False
    world.auditor.save(update_fields=["is_active"])
    assert Api(Client(), {"Authorization": f"Bearer {raw}"}).get("/findings/").status_code == 401


@pytest.mark.parametrize("header", ["Bearer nope", "Basic dXNlcjpwYXNz", "Bearer "])
def test_a_bad_authorization_header_is_401(world, header):
    assert Api(Client(), {"Authorization": header}).get("/findings/").status_code == 401


def test_the_token_is_stored_as_its_digest_and_marks_its_use(world):
    token, raw = api_token_create(actor=world.auditor, name="x")
    assert raw not in (token.digest, token.prefix) and token.prefix == raw[:8]
    assert not ApiToken.objects.filter(digest=raw).exists()
    Api(Client(), {"Authorization": f"Bearer {raw}"}).get("/findings/")
    token.refresh_from_db()
    assert token.last_used_at is not None
    first = token.last_used_at
    Api(Client(), {"Authorization": f"Bearer {raw}"}).get("/findings/")
    token.refresh_from_db()
    assert token.last_used_at == first  # at most once a minute
    assert timezone.now() >= first
