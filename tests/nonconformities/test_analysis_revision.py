"""Root cause and extent stay editable, with a reason and history, until actions are verified."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ims.models import TransitionEvent
from ims.transitions import TransitionError
from nonconformities import services

pytestmark = pytest.mark.django_db


def test_root_cause_and_extent_revised_during_actions_keep_their_history(loop, world):
    nc = loop.in_action()
    old_cause = nc.root_cause
    services.nonconformity_revise_analysis(
        nc,
        actor=world.principal,
        reason="Phỏng vấn thêm thư ký",
        root_cause="Thư ký không được đào tạo về lưu trữ.",
        extent_check="Đã kiểm tra cả ba khối lớp.",
    )
    nc.refresh_from_db()
    assert nc.root_cause == "Thư ký không được đào tạo về lưu trữ."
    assert nc.extent_check == "Đã kiểm tra cả ba khối lớp."
    assert nc.status == "in_action"
    latest, before = nc.history.all()[:2]
    assert latest.history_change_reason == "Phỏng vấn thêm thư ký"
    assert before.root_cause == old_cause
    event = TransitionEvent.objects.get(action="revise_analysis")
    assert event.actor == world.principal and event.reason == "Phỏng vấn thêm thư ký"


def test_revision_needs_a_reason_and_a_change(loop, world):
    nc = loop.in_action()
    with pytest.raises(ValidationError):
        services.nonconformity_revise_analysis(
            nc, actor=world.principal, reason=" ", root_cause="Khác"
        )
    with pytest.raises(ValidationError):
        services.nonconformity_revise_analysis(
            nc, actor=world.principal, reason="x", root_cause=nc.root_cause
        )


def test_extent_is_not_written_before_it_is_checked(loop, world):
    nc = loop.analysed()
    services.nonconformity_revise_analysis(
        nc, actor=world.principal, reason="x", root_cause="Khác", extent_check="Sớm"
    )
    nc.refresh_from_db()
    assert nc.root_cause == "Khác" and nc.extent_check == "" and nc.status == "analysed"


def test_analysis_is_frozen_once_verified(loop, world):
    nc = loop.verified()
    with pytest.raises(TransitionError):
        services.nonconformity_revise_analysis(
            nc, actor=world.principal, reason="x", root_cause="Khác"
        )
    nc.refresh_from_db()
    assert nc.root_cause != "Khác"


def test_revise_view_owner_member_outsider(loop, world, client_for):
    nc = loop.in_action()
    url = reverse("nonconformities:revise_analysis", args=[nc.pk])
    data = {
        "revise-root_cause": "Nguyên nhân mới",
        "revise-extent_check": "Phạm vi mới",
        "revise-reason": "Bổ sung",
    }
    assert client_for(world.principal2).post(url, data).status_code == 404
    assert client_for(world.auditor).post(url, data).status_code == 400  # sees it, no work role
    nc.refresh_from_db()
    assert nc.root_cause != "Nguyên nhân mới"
    page = client_for(world.auditor).get(nc.get_absolute_url()).content.decode()
    assert "nc-revise" not in page
    response = client_for(world.teacher).post(url, data)  # unit staff works on the NC
    assert response.status_code == 302 and response["Location"].endswith("#step-root-cause")
    nc.refresh_from_db()
    assert nc.root_cause == "Nguyên nhân mới" and nc.extent_check == "Phạm vi mới"
