"""Each step of a long page returns to that step, with its message there, not at the top."""

import re

import pytest
from django.urls import reverse

from tests.audits.factories import make_audit
from tests.documents.factories import draft_of, make_document

pytestmark = pytest.mark.django_db


def _top_messages(page):
    """The message list at the top of <main>, before any content."""
    main = page[page.index('<main id="main">') :]
    first = re.match(r'<main id="main">\s*(<ul class="messages"[^>]*>.*?</ul>)?', main, re.S)
    return first.group(1) or ""


def _step_messages(page, anchor):
    section = page[page.index(f'id="{anchor}"') :]
    found = re.search(r'<ul class="messages step-messages".*?</ul>', section, re.S)
    return found.group(0) if found else ""


def test_distributing_returns_to_the_distribution_with_its_message(world, client_for):
    revision = draft_of(make_document(world))
    client = client_for(world.iso)
    response = client.post(
        reverse("documents:distribution_add", args=[revision.pk]), {"units": [world.school.pk]}
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#distribution")
    page = client.get(response["Location"]).content.decode()
    assert "success" in _step_messages(page, "distribution")
    assert _top_messages(page) == ""


def test_a_refused_sign_step_says_so_at_the_revision(world, client_for):
    revision = draft_of(make_document(world))
    client = client_for(world.iso)
    client.post(reverse("documents:revision_action", args=[revision.pk, "submit"]))
    head = client_for(world.head)
    response = head.post(
        reverse("documents:revision_action", args=[revision.pk, "review"]), {"password": "sai"}
    )
    assert response["Location"].endswith("#current-revision")
    page = head.get(response["Location"]).content.decode()
    assert 'class="error"' in _step_messages(page, "current-revision")


def test_adding_to_the_team_returns_to_the_team(world, client_for):
    audit = make_audit(world, scope=[world.school], team=False)
    client = client_for(world.iso)
    response = client.post(
        reverse("audits:team_add", args=[audit.pk]),
        {"user": world.leadauditor.pk, "role": "lead"},
    )
    assert response["Location"] == audit.get_absolute_url() + "#team"
    page = client.get(response["Location"]).content.decode()
    assert "success" in _step_messages(page, "team")
    assert _top_messages(page) == ""


def test_a_step_without_an_anchor_keeps_its_message_at_the_top(world, client_for):
    # the first-page steps (start, finish) stay at the top, where their buttons are
    audit = make_audit(world, scope=[world.school])
    client = client_for(world.iso)
    response = client.post(reverse("audits:audit_step", args=[audit.pk, "start"]))
    assert "#" not in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert "messages" in _top_messages(page)
