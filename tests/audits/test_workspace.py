"""The offline audit workspace's own views: the shell page, the manifest and the service worker.

The shell carries no audit data (the page reads it from IndexedDB and the sync API), so owner,
member and outsider get the same page; the data checks are the API's. The prepare button
appears only where the person already sees the audit.
"""

import json
import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone

from audits.models import Audit
from audits.workspace import SHELL_STATIC, shell_urls
from tests.audits.factories import make_audit

pytestmark = pytest.mark.django_db


def test_shell_requires_sign_in(client):
    response = client.get(reverse("audits:workspace"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.parametrize("username", ["auditor", "principal", "principal2"])
def test_shell_is_the_same_empty_page_for_everyone_and_carries_no_audit_data(
    world, client_for, username, django_assert_max_num_queries
):
    audit = make_audit(world, status=Audit.Status.IN_PROGRESS, title="Đánh giá bí mật")
    client = client_for(getattr(world, username))
    client.get(reverse("audits:workspace"))  # warm the session and language
    with django_assert_max_num_queries(4):
        response = client.get(reverse("audits:workspace"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "private" in response["Cache-Control"] and "no-cache" in response["Cache-Control"]
    body = response.content.decode()
    assert audit.title not in body and audit.code not in body
    assert 'rel="manifest"' in body and "/jsi18n/" in body
    assert 'type="module"' in body and "<script>" not in body  # CSP: no inline script
    assert 'style="' not in body


def test_shell_allows_blob_images_for_photo_previews_and_nothing_else_new(world, client_for):
    response = client_for(world.auditor).get(reverse("audits:workspace"))
    csp = response["Content-Security-Policy"]
    img = re.search(r"img-src ([^;]*)", csp).group(1).split()
    assert set(img) == {"'self'", "data:", "blob:"}
    assert re.search(r"script-src 'self'(;|$)", csp)


def test_shell_is_vietnamese_by_default(world, client_for):
    body = client_for(world.auditor).get(reverse("audits:workspace")).content.decode()
    assert '<html lang="vi">' in body


def test_manifest_names_the_workspace_and_its_scope(client):
    response = client.get(reverse("audits:workspace_manifest"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    data = json.loads(response.content)
    assert data["scope"] == data["start_url"] == "/audits/workspace/"
    assert data["display"] == "standalone"
    assert {icon["sizes"] for icon in data["icons"]} == {"192x192", "512x512"}
    for icon in data["icons"]:
        assert finders.find(icon["src"].removeprefix(settings.STATIC_URL))


def test_service_worker_is_javascript_never_stored_and_lists_the_shell(client):
    response = client.get(reverse("audits:workspace_sw"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    # Served from the workspace's own path: its scope is the workspace, with no extra header.
    assert reverse("audits:workspace_sw").startswith(reverse("audits:workspace"))
    assert "Service-Worker-Allowed" not in response
    body = response.content.decode()
    urls = json.loads(re.search(r"const PRECACHE = (\[.*?\]);", body).group(1))
    assert urls == shell_urls()
    assert "/audits/workspace/" in urls and "/jsi18n/" in urls
    for name in SHELL_STATIC:
        assert any(url.endswith(name) for url in urls)
    # A new worker waits for the auditor: it never calls skipWaiting on its own.
    install = body.split('addEventListener("install"')[1].split("});")[0]
    assert "skipWaiting" not in install
    # It never touches IndexedDB (stored audits and unsent work).
    assert "indexedDB" not in body


def test_every_shell_file_exists():
    for url in shell_urls():
        if url.startswith(settings.STATIC_URL):
            assert finders.find(url.removeprefix(settings.STATIC_URL)), url


def test_service_worker_version_changes_with_the_shell(monkeypatch):
    from audits import workspace

    first = workspace._shell_version()
    original = workspace._file_digest
    monkeypatch.setattr(
        workspace,
        "_file_digest",
        lambda path: original(path) + (b"x" if path and path.endswith("app.js") else b""),
    )
    assert workspace._shell_version() != first


def test_javascript_catalogue_is_served_in_the_users_language(world, client_for):
    response = client_for(world.auditor).get(reverse("javascript-catalog"))
    assert response.status_code == 200
    assert "javascript" in response["Content-Type"]
    body = response.content.decode()
    # The workspace's own strings, in Vietnamese (the auditor's language in the tests' world).
    assert json.dumps("Đồng bộ ngay")[1:-1] in body


def _prepare_buttons(body):
    return re.findall(r'data-prepare-audit="(\d+)"', body)


def test_prepare_button_on_the_audit_page_for_team_and_absent_for_outsider(world, client_for):
    audit = make_audit(world, status=Audit.Status.IN_PROGRESS)
    page = client_for(world.auditor).get(reverse("audits:audit_detail", args=[audit.pk]))
    assert _prepare_buttons(page.content.decode()) == [str(audit.pk)]
    outsider = client_for(world.principal2).get(reverse("audits:audit_detail", args=[audit.pk]))
    assert outsider.status_code == 404


def test_prepare_button_not_offered_once_fieldwork_is_over(world, client_for):
    audit = make_audit(world, status=Audit.Status.REPORT_ISSUED)
    page = client_for(world.auditor).get(reverse("audits:audit_detail", args=[audit.pk]))
    assert _prepare_buttons(page.content.decode()) == []


def test_prepare_button_on_each_of_my_audits_today(world, client_for):
    today = timezone.localdate()
    ongoing = make_audit(
        world, status=Audit.Status.IN_PROGRESS, planned_start=today, planned_end=today
    )
    later = make_audit(
        world, status=Audit.Status.PLAN_APPROVED, planned_start=today, planned_end=today
    )
    page = client_for(world.auditor).get(reverse("audits:audit_today"))
    assert sorted(_prepare_buttons(page.content.decode())) == sorted(
        [str(ongoing.pk), str(later.pk)]
    )
    outsider = client_for(world.principal2).get(reverse("audits:audit_today"))
    assert _prepare_buttons(outsider.content.decode()) == []
