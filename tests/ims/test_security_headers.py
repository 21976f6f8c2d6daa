"""HTML pages send a Content-Security-Policy (this site only) and a Permissions-Policy, and no
template needs an exception: no inline script, style or event handler."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
# Rendered by WeasyPrint (PDFs) or sent by e-mail: no browser applies the header there.
# E-mails, and what WeasyPrint renders into PDFs (reports, the stamp laid over a download).
NOT_BROWSER_PAGES = ("/email/", "/reports/", "documents/stamp.html")
INLINE = re.compile(r"""\sstyle=|<style|<script(?![^>]*\ssrc=)|\son[a-z]+=|javascript:""", re.I)


def page_templates():
    for folder in [ROOT / "templates", *ROOT.glob("*/templates")]:
        if ".venv" in folder.parts:
            continue
        for path in folder.rglob("*.html"):
            if not any(part in path.as_posix() for part in NOT_BROWSER_PAGES):
                yield path


def test_no_template_has_inline_script_style_or_handler():
    found = {
        str(path.relative_to(ROOT)): INLINE.findall(path.read_text())
        for path in page_templates()
        if INLINE.search(path.read_text())
    }
    assert not found, found


def assert_headers(response):
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy and "http" not in policy
    permissions = response["Permissions-Policy"]
    assert "camera=()" in permissions and "microphone=()" in permissions
    assert "geolocation=()" in permissions


@pytest.mark.django_db
def test_signed_in_pages_send_the_policies(client_for, world):
    client = client_for(world.director)
    for url in [reverse("home"), reverse("ims:unit_list"), reverse("ims:notification_list")]:
        response = client.get(url, follow=True)
        assert response.status_code == 200
        assert_headers(response)


@pytest.mark.django_db
def test_public_pages_send_the_policies(client):
    for url in [reverse("login"), "/s/"]:
        assert_headers(client.get(url))
