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
