"""On a phone each step updates in place (htmx); without JavaScript it returns to its anchor."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from nonconformities.models import Nonconformity

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}


def contain_data():
    return {"containment": "Đã thu hồi", "contained_on": timezone.localdate().isoformat()}


def test_htmx_step_answers_the_nc_body_with_its_confirmation(loop, world, client_for):
    nc = loop.raised()
    url = reverse("nonconformities:contain", args=[nc.pk])
    response = client_for(world.principal).post(url, contain_data(), headers=HX)
    body = response.content.decode()
    assert response.status_code == 200 and "HX-Request" in response["Vary"]
    assert "<html" not in body and body.lstrip().startswith('<div id="nc-body">')
    section = body.split('id="step-containment"')[1].split("</section>")[0]
    assert 'data-testid="nc-step-done"' in section
    assert 'data-testid="nc-analyse"' in body  # the next step is there, without a reload
    nc.refresh_from_db()
    assert nc.status == Nonconformity.Status.CONTAINED


def test_without_javascript_a_step_returns_to_its_anchor_with_a_message(loop, world, client_for):
    nc = loop.raised()
    client = client_for(world.principal)
    url = reverse("nonconformities:contain", args=[nc.pk])
    response = client.post(url, contain_data())
    assert response.status_code == 302
    assert response["Location"] == f"{nc.get_absolute_url()}?done=contain#step-containment"
    page = client.get(response["Location"]).content.decode()
    section = page.split('id="step-containment"')[1].split("</section>")[0]
    assert 'data-testid="nc-step-done"' in section
    # every step's form posts to an address ending in its own anchor
    nc.refresh_from_db()
    assert f'action="{reverse("nonconformities:analyse", args=[nc.pk])}#step-root-cause"' in page


def test_htmx_errors_are_swapped_in_with_the_typed_text(loop, world, client_for):
    nc = loop.in_action()
    url = reverse("nonconformities:action_add", args=[nc.pk])
    data = {"description": "Tập huấn lại", "owner": world.teacher.pk, "due": "2001-01-01"}
    response = client_for(world.principal).post(url, data, headers=HX)
    body = response.content.decode()
    assert response.status_code == 200  # htmx swaps only 2xx answers
    assert "Tập huấn lại" in body and "errorlist" in body
    assert nc.actions.count() == 1
    # a refusal of the rule shows in the step, not at the top of the page
    response = client_for(world.auditor).post(
        url,
        {**data, "due": (timezone.localdate() + timedelta(days=5)).isoformat()},
        headers=HX,
    )
    body = response.content.decode()
    section = body.split('id="step-actions"')[1].split("</section>")[0]
    assert 'data-testid="nc-step-error"' in section and nc.actions.count() == 1


def test_htmx_step_is_404_for_an_outsider(loop, world, client_for):
    nc = loop.raised()
    url = reverse("nonconformities:contain", args=[nc.pk])
    assert client_for(world.principal2).post(url, contain_data(), headers=HX).status_code == 404


def test_detail_partial_query_count_is_flat(loop, world, client_for, django_assert_max_num_queries):
    nc = loop.in_action()
    client = client_for(world.principal)
    client.get(nc.get_absolute_url(), headers=HX)
    with django_assert_max_num_queries(30) as few:
        client.get(nc.get_absolute_url(), headers=HX)
    from nonconformities import services

    for i in range(8):
        services.action_add(
            nc,
            actor=world.principal,
            description=f"Hành động {i}",
            owner=world.teacher,
            due=timezone.localdate() + timedelta(days=5),
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(nc.get_absolute_url(), headers=HX)
