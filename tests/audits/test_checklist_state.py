"""The checklist shows its state: the recorded answer is filled and pressed, the count of items
checked moves with each tap (htmx or not), and a finding started from an item returns to it."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audits import services
from audits.models import Audit, ChecklistItem, Finding
from tests.audits.factories import clauses, grade, make_audit

pytestmark = pytest.mark.django_db


@pytest.fixture
def audit(world):
    audit = make_audit(world, status=Audit.Status.IN_PROGRESS)
    services.audit_generate_checklist(audit, actor=world.auditor)
    return audit


def _answer(client, audit, item, result, *, htmx=False):
    return client.post(
        reverse("audits:checklist_item", args=[audit.pk, item.pk]),
        {"result": result, "note": "", "evidence": "", "version": item.version},
        headers={"HX-Request": "true"} if htmx else {},
    )


def _pressed(html, item):
    """The answers of ``item``'s card that are pressed."""
    card = re.search(rf'<article[^>]*id="item-{item.pk}".*?</article>', html, re.S).group(0)
    return re.findall(r'value="(\w+)" type="submit" aria-pressed="true"', card)


def _progress(html):
    """(checked, total) as the progress line shows them."""
    found = re.search(
        r'data-testid="checklist-progress" data-checked="(\d+)" data-total="(\d+)".*?'
        r'<p role="status">([^<]*)</p>',
        html,
        re.S,
    )
    checked, total, text = found.groups()
    assert re.findall(r"\d+", text) == [checked, total]
    return int(checked), int(total)


def test_only_the_recorded_answer_is_pressed_without_js(world, client_for, audit):
    item = audit.checklist.get(clause__number="8.5.1")
    client = client_for(world.auditor)
    page = client.get(audit.get_absolute_url()).content.decode()
    assert _pressed(page, item) == []  # not checked: every answer outlined
    assert page.count('aria-pressed="false" data-testid="mark-') == 3 * audit.checklist.count()
    response = _answer(client, audit, item, "conforming")
    assert response["Location"].endswith(f"#item-{item.pk}")
    page = client.get(audit.get_absolute_url()).content.decode()
    assert _pressed(page, item) == ["conforming"]
    _answer(client, audit, ChecklistItem.objects.get(pk=item.pk), "not_applicable")
    page = client.get(audit.get_absolute_url()).content.decode()
    assert _pressed(page, item) == ["not_applicable"]


def test_htmx_tap_presses_the_answer_and_updates_the_count(world, client_for, audit):
    items = list(audit.checklist.all())
    client = client_for(world.auditor)
    page = client.get(audit.get_absolute_url()).content.decode()
    assert _progress(page) == (0, len(items))
    response = _answer(client, audit, items[0], "not_applicable", htmx=True)
    html = response.content.decode()
    assert _pressed(html, items[0]) == ["not_applicable"]
    assert 'hx-swap-oob="true"' in html
    assert _progress(html) == (1, len(items))
    # the full page counts the same way
    page = client.get(audit.get_absolute_url()).content.decode()
    assert _progress(page) == (1, len(items))
    assert 'hx-swap-oob="true"' not in page


def test_a_refused_tap_changes_neither_the_answer_nor_the_count(world, client_for, audit):
    item = audit.checklist.first()
    client = client_for(world.auditor)
    html = _answer(client, audit, item, "bogus", htmx=True).content.decode()
    assert "Hãy chọn kết quả." in html and _pressed(html, item) == []
    assert _progress(html) == (0, 3)
    assert ChecklistItem.objects.get(pk=item.pk).result == "not_checked"


def test_member_sees_the_state_but_no_answers_and_outsider_gets_404(world, client_for, audit):
    item = audit.checklist.first()
    _answer(client_for(world.auditor), audit, item, "conforming")
    page = client_for(world.iso).get(audit.get_absolute_url()).content.decode()
    assert _progress(page) == (1, 3) and "mark-conforming" not in page
    assert client_for(world.principal2).get(audit.get_absolute_url()).status_code == 404
    response = _answer(client_for(world.principal2), audit, item, "not_applicable", htmx=True)
    assert response.status_code == 404
    assert ChecklistItem.objects.get(pk=item.pk).result == "conforming"


def test_audit_page_with_its_checklist_stays_flat(
    world, client_for, audit, django_assert_max_num_queries
):
    client = client_for(world.auditor)
    client.get(audit.get_absolute_url())  # warm the session
    with CaptureQueriesContext(connection) as three:
        assert client.get(audit.get_absolute_url()).status_code == 200
    for n in range(5):
        extra = ChecklistItem.objects.create(audit=audit, key=f"q:{n}", question=f"Câu {n}")
        extra.clauses.set(clauses("8.5.1"))
    with django_assert_max_num_queries(len(three)):
        page = client.get(audit.get_absolute_url()).content.decode()
    assert _progress(page) == (0, 8) and len(three) <= 26
    item = audit.checklist.first()
    with django_assert_max_num_queries(20):
        _answer(client, audit, item, "conforming", htmx=True)


def _finding(world, **extra):
    return {
        "finding_id": "5b0e7e0a-2c4f-4d8e-9a1b-3c5d7e9f1a2b",
        "grade": grade("observation").pk,
        "statement": "Biên bản họp tổ chưa lưu đủ.",
        "clauses": [clauses("7.5.3")[0].pk],
        "unit": world.school.pk,
        "note": "Xem sổ họp tổ khối 3",
        **extra,
    }


def test_a_finding_from_a_checklist_item_returns_to_that_item(world, client_for, audit):
    item = audit.checklist.get(clause__number="7.5.3")
    client = client_for(world.auditor)
    url = reverse("audits:finding_create", args=[audit.pk]) + f"?item={item.pk}"
    form = client.get(url).content.decode()
    assert f'href="{audit.get_absolute_url()}#item-{item.pk}"' in form  # Cancel, too
    response = client.post(url, _finding(world, item=item.pk))
    assert response["Location"] == f"{audit.get_absolute_url()}#item-{item.pk}"
    assert Finding.objects.get().checklist_item == item


def test_a_finding_without_an_item_opens_the_finding(world, client_for, audit):
    client = client_for(world.auditor)
    response = client.post(reverse("audits:finding_create", args=[audit.pk]), _finding(world))
    assert response["Location"] == Finding.objects.get().get_absolute_url()
