"""A reason given in a step is kept with the record's history, and the loop's rows have history."""

import pytest

from nonconformities import services
from nonconformities.models import Verification

pytestmark = pytest.mark.django_db


def test_cancel_reason_is_kept_in_the_action_history(loop, world):
    loop.in_action()
    services.action_cancel(loop.action, actor=world.principal, reason="Trùng với hành động 1")
    latest = loop.action.history.first()
    assert latest.status == "cancelled"
    assert latest.history_change_reason == "Trùng với hành động 1"


def test_verification_notes_are_kept_as_the_change_reason(loop, world):
    nc = loop.verified()
    assert nc.history.first().history_change_reason == "Kiểm tra 3 tháng: không lặp lại."
    verification = Verification.objects.get(nonconformity=nc)
    assert verification.history.get().history_type == "+"


def test_nc_page_shows_each_change_as_field_old_to_new(world, client_for):
    from django.urls import reverse
    from django.utils import translation

    from nonconformities.services import nonconformity_contain
    from tests.nonconformities.factories import raise_nc

    nc = raise_nc(world.iso, world.school)
    nonconformity_contain(nc, actor=world.principal, containment="Đã bổ sung biên bản.")
    world.principal.language = "en"
    world.principal.save(update_fields=["language"])
    with translation.override("en"):
        page = client_for(world.principal).get(reverse("nonconformities:detail", args=[nc.pk]))
    body = page.content.decode()
    assert 'data-testid="record-history"' in body
    assert "Đã bổ sung biên bản." in body.split('data-testid="record-history"')[1]
