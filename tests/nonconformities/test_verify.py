"""Effectiveness is verified no earlier than its planned date, unless the verifier says why."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from ims.models import TransitionEvent
from nonconformities import services
from nonconformities.models import Nonconformity

pytestmark = pytest.mark.django_db
S = Nonconformity.Status


def planned(loop, world, days):
    """An NC awaiting verification, its check planned ``days`` from today."""
    nc = loop.awaiting_verification()
    Nonconformity.objects.filter(pk=nc.pk).update(
        planned_verifier=world.director,
        verification_due=timezone.localdate() + timedelta(days=days),
    )
    nc.refresh_from_db()
    return nc


def verify(nc, world, **kwargs):
    return services.nonconformity_verify(
        nc, actor=world.director, result="effective", notes="Đã kiểm tra sổ sách.", **kwargs
    )


def test_verification_before_the_planned_date_is_refused_without_a_reason(loop, world):
    nc = planned(loop, world, days=10)
    with pytest.raises(ValidationError) as error, translation.override("en"):
        verify(nc, world)
    assert "give the reason" in " ".join(error.value.messages)
    with pytest.raises(ValidationError):
        verify(nc, world, early_reason="   ")
    nc.refresh_from_db()
    assert nc.status == S.AWAITING_VERIFICATION and not nc.verifications.exists()
    assert not TransitionEvent.objects.for_object(nc).filter(action="verify_early").exists()


def test_early_verification_with_a_reason_is_recorded_in_the_history(loop, world):
    nc = planned(loop, world, days=10)
    nc = verify(nc, world, early_reason="Đoàn đánh giá chứng nhận đến sớm.")
    assert nc.status == S.VERIFIED
    event = TransitionEvent.objects.for_object(nc).get(action="verify_early")
    assert event.actor == world.director
    assert "Đoàn đánh giá chứng nhận đến sớm." in event.reason
    assert nc.verification_due.strftime("%d/%m/%Y") in event.reason


@pytest.mark.parametrize("days", [0, -3])
def test_verification_on_or_after_the_planned_date_needs_no_reason(loop, world, days):
    nc = planned(loop, world, days=days)
    assert verify(nc, world).status == S.VERIFIED
    assert not TransitionEvent.objects.for_object(nc).filter(action="verify_early").exists()


def test_verification_without_a_plan_needs_no_reason(loop, world):
    nc = loop.awaiting_verification()
    assert nc.verification_due is None
    assert verify(nc, world).status == S.VERIFIED


def test_verify_view_asks_for_the_reason_before_the_planned_date(loop, world, client_for):
    nc = planned(loop, world, days=10)
    url = reverse("nonconformities:verify", args=[nc.pk])
    detail = client_for(world.director).get(reverse("nonconformities:detail", args=[nc.pk]))
    assert 'name="early_reason"' in detail.content.decode()
    data = {"result": "effective", "notes": "Đã kiểm tra."}
    response = client_for(world.director).post(url, data)
    assert response.status_code == 400
    nc.refresh_from_db()
    assert nc.status == S.AWAITING_VERIFICATION
    response = client_for(world.director).post(url, {**data, "early_reason": "Kiểm tra kết hợp."})
    assert response.status_code == 302
    nc.refresh_from_db()
    assert nc.status == S.VERIFIED
    assert TransitionEvent.objects.for_object(nc).filter(action="verify_early").exists()


def test_verify_form_has_no_reason_field_on_the_planned_date(loop, world, client_for):
    nc = planned(loop, world, days=0)
    detail = client_for(world.director).get(reverse("nonconformities:detail", args=[nc.pk]))
    assert 'name="notes"' in detail.content.decode()
    assert 'name="early_reason"' not in detail.content.decode()
