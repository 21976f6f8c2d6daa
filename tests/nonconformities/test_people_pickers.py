"""An action's owner and the verifier are found by typing among the people of the NC's unit (and
below it, and the units above it); the NC page never lists the organisation's staff."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ims.models import Role
from nonconformities.forms import ActionForm
from tests.factories import MembershipFactory, UserFactory
from tests.nonconformities.factories import raise_nc

pytestmark = pytest.mark.django_db


def _add_action(client, nc, owner, **extra):
    return client.post(
        reverse("nonconformities:action_add", args=[nc.pk]),
        {
            "description": "Bổ sung bước lưu biên bản.",
            "owner": owner,
            "due": (timezone.localdate() + timedelta(days=10)).isoformat(),
            **extra,
        },
    )


def test_action_owner_in_the_nc_unit_is_saved(loop, world, client_for):
    nc = loop.extent_checked()
    _add_action(client_for(world.principal), nc, world.teacher.pk)
    assert list(nc.actions.values_list("owner", flat=True)) == [world.teacher.pk]


def test_action_owner_found_by_a_typed_name_without_javascript(loop, world, client_for):
    nc = loop.extent_checked()
    _add_action(client_for(world.principal), nc, "", owner_q="teacher")
    assert list(nc.actions.values_list("owner", flat=True)) == [world.teacher.pk]


def test_action_owner_from_another_school_is_refused(loop, world, client_for):
    nc = loop.extent_checked()
    response = _add_action(client_for(world.principal), nc, world.principal2.pk)
    assert response.status_code == 400  # the page again, with the form's error
    assert not nc.actions.exists()
    assert response.context["forms"]["action"].has_error("owner", "not_assignable")


def test_an_office_nc_is_corrected_in_any_school(world):
    nc = raise_nc(world.iso, world.division)
    form = ActionForm(
        {"description": "Tập huấn", "owner": world.principal2.pk, "due": "2999-01-01"},
        user=world.head,
        nc=nc,
    )
    assert form.is_valid(), form.errors


def test_verifier_in_scope_is_planned_and_one_outside_is_refused(loop, world, client_for):
    nc = loop.in_action()
    url = reverse("nonconformities:plan_verification", args=[nc.pk])
    planned = (timezone.localdate() + timedelta(days=30)).isoformat()
    client = client_for(world.principal)
    client.post(url, {"verifier": world.principal2.pk, "planned_on": planned})
    nc.refresh_from_db()
    assert nc.planned_verifier is None
    client.post(url, {"verifier": world.director.pk, "planned_on": planned})
    nc.refresh_from_db()
    assert nc.planned_verifier == world.director


def test_nc_page_lists_nobody_until_a_name_is_typed(
    loop, world, client_for, django_assert_num_queries
):
    nc = loop.in_action()
    for i in range(50):
        person = UserFactory(username=f"crowd{i}", full_name=f"Cán bộ Đông Người {i:02d}")
        MembershipFactory(user=person, unit=world.school, role=Role.STAFF)
    client = client_for(world.principal)
    url = reverse("nonconformities:detail", args=[nc.pk])
    client.get(url)
    with django_assert_num_queries(21):  # the same with 5 or 20,000 people
        html = client.get(url).content.decode()
    assert 'name="owner_q"' in html and 'name="verifier_q"' in html
    assert "Đông Người" not in html
    assert "crowd" not in html
