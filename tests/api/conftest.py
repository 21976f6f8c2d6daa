"""API test helpers: a client for a person by session (with or without CSRF) or by token."""

import json
import uuid

import pytest
from django.test import Client

from audits.models import Audit
from ims.tokens import api_token_create
from tests.audits.factories import clauses, make_audit


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


class Api:
    """A client for ``/api/v1/`` sending JSON, as one person."""

    def __init__(self, client, headers=None):
        self.client, self.headers = client, dict(headers or {})

    def _call(self, method, path, body=None, headers=None, raw=None, content_type=None):
        kwargs = {**self.headers, **(headers or {})}
        if raw is not None:
            data, content_type = raw, content_type or "application/octet-stream"
        else:
            data = json.dumps(body, default=str) if body is not None else None
            content_type = "application/json"
        call = getattr(self.client, method)
        if data is None:
            return call(f"/api/v1{path}", headers=kwargs)
        return call(f"/api/v1{path}", data=data, content_type=content_type, headers=kwargs)

    def get(self, path, **kw):
        return self._call("get", path, **kw)

    def put(self, path, body=None, **kw):
        return self._call("put", path, body, **kw)


@pytest.fixture
def api_for():
    """``api_for(user)``: a session client that sends the CSRF token, as the workspace does."""

    def make(user, csrf=True):
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        headers = {}
        if csrf:
            client.get("/api/v1/docs")  # sets the CSRF cookie
            token = client.cookies.get("csrftoken")
            headers["X-CSRFToken"] = token.value if token else ""
        return Api(client, headers)

    return make


@pytest.fixture
def token_api_for():
    """``token_api_for(user)``: a client with no session, sending a personal token."""

    def make(user):
        _token, raw = api_token_create(actor=user, name="test")
        return Api(Client(enforce_csrf_checks=True), {"Authorization": f"Bearer {raw}"})

    return make


@pytest.fixture
def audit(world):
    return make_audit(world, status=Audit.Status.IN_PROGRESS)


def finding_body(audit, world, **changes):
    body = {
        "audit": audit.pk,
        "grade": "minor_nc",
        "clauses": [c.pk for c in clauses("7.1.3")],
        "unit": world.school.pk,
        "statement": "Sổ đầu bài lớp 3A không được ký",
        "notes": ["Quan sát tại lớp 3A"],
        "references": [],
        "revisions": [],
        "photos": [],
    }
    body.update(changes)
    return body


def new_id():
    return str(uuid.uuid4())
