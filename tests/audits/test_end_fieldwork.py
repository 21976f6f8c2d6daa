"""Ending fieldwork with checklist items unchecked: the lead sees how many and which, then
ends it anyway if they choose; nobody else gets the page."""

import re

import pytest
from django.urls import reverse

from audits import services
from audits.models import Audit
from tests.audits.factories import make_audit

pytestmark = pytest.mark.django_db


@pytest.fixture
def audit(world):
    audit = make_audit(world, status=Audit.Status.IN_PROGRESS)
    services.audit_generate_checklist(audit, actor=world.auditor)
    return audit


def _status(audit):
    return Audit.objects.get(pk=audit.pk).status


def _check(audit, world, *numbers):
    for item in audit.checklist.filter(clause__number__in=numbers):
        services.checklist_item_record(item, actor=world.auditor, result="conforming")


def test_ending_with_unchecked_items_asks_first_and_lists_them(world, client_for, audit):
    _check(audit, world, "7.1.3")
    client = client_for(world.leadauditor)
    page = client.get(audit.get_absolute_url()).content.decode()
    finish_url = reverse("audits:audit_finish", args=[audit.pk])
    assert f'href="{finish_url}" data-testid="audit-finish"' in page
    # the step itself, sent without confirming (an old page): sent to the list, nothing changes
    response = client.post(reverse("audits:audit_step", args=[audit.pk, "finish"]))
    assert response["Location"] == finish_url and _status(audit) == Audit.Status.IN_PROGRESS
    page = client.get(finish_url).content.decode()
    assert 'data-unchecked="2"' in page
    unchecked = audit.checklist.filter(result="not_checked")
    links = re.findall(r'href="[^"]*#item-(\d+)"', page)
    assert sorted(map(int, links)) == sorted(i.pk for i in unchecked)
    assert "7.5.3" in page and "8.5.1" in page
    response = client.post(
        reverse("audits:audit_step", args=[audit.pk, "finish"]), {"confirm": "1"}
    )
    assert response["Location"] == audit.get_absolute_url()
    assert _status(audit) == Audit.Status.REPORTING


def test_ending_with_every_item_checked_takes_the_step_at_once(world, client_for, audit):
    _check(audit, world, "7.1.3", "7.5.3", "8.5.1")
    client = client_for(world.leadauditor)
    page = client.get(audit.get_absolute_url()).content.decode()
    assert reverse("audits:audit_finish", args=[audit.pk]) not in page
    response = client.post(reverse("audits:audit_step", args=[audit.pk, "finish"]))
    assert response["Location"] == audit.get_absolute_url()
    assert _status(audit) == Audit.Status.REPORTING


def test_only_the_lead_gets_the_page_and_nobody_else_ends_fieldwork(world, client_for, audit):
    url = reverse("audits:audit_finish", args=[audit.pk])
    assert client_for(world.auditor).get(url).status_code == 403
    assert client_for(world.principal).get(url).status_code == 403
    assert client_for(world.principal2).get(url).status_code == 404
    step = reverse("audits:audit_step", args=[audit.pk, "finish"])
    for user in (world.auditor, world.principal):
        client_for(user).post(step, {"confirm": "1"})
    assert client_for(world.principal2).post(step, {"confirm": "1"}).status_code == 404
    assert _status(audit) == Audit.Status.IN_PROGRESS


def test_the_page_is_gone_once_fieldwork_ended(world, client_for, audit):
    services.audit_finish_fieldwork(audit, actor=world.leadauditor)
    url = reverse("audits:audit_finish", args=[audit.pk])
    assert client_for(world.leadauditor).get(url).status_code == 403


def test_the_list_stays_flat_in_queries(world, client_for, audit, django_assert_max_num_queries):
    client = client_for(world.leadauditor)
    url = reverse("audits:audit_finish", args=[audit.pk])
    client.get(url)  # warm the session
    with django_assert_max_num_queries(14) as three:
        client.get(url)
    from audits.models import ChecklistItem
    from tests.audits.factories import clauses

    for n in range(6):
        extra = ChecklistItem.objects.create(audit=audit, key=f"q:{n}", question=f"Câu {n}")
        extra.clauses.set(clauses("8.5.1"))
    with django_assert_max_num_queries(len(three)):
        page = client.get(url).content.decode()
    assert 'data-unchecked="9"' in page
