"""Closure reads the loop's own rows: the root cause, every action, this round's verification.

Each test tampers with one row the way an admin edit or a concurrent step could, leaving the
counters copied onto the NC saying "ready", and goes through the close service itself.
"""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from ims.models import Signature
from ims.transitions import TransitionError
from nonconformities import services
from nonconformities.models import CorrectiveAction, Nonconformity, Verification

pytestmark = pytest.mark.django_db
S = Nonconformity.Status


def refused(nc, world):
    """Close ``nc`` as the principal; assert the service refuses and nothing changes."""
    with pytest.raises(TransitionError) as error, translation.override("en"):
        services.nonconformity_close(nc, actor=world.principal, password="demo")
    nc.refresh_from_db()
    assert nc.status == S.VERIFIED and nc.closed_by is None
    assert not Signature.objects.for_object(nc).exists()
    return " ".join(error.value.messages)


def test_close_service_refuses_a_blank_root_cause(loop, world):
    nc = loop.verified()
    # An empty root cause cannot be stored past "contained" (the database refuses it)...
    with pytest.raises(IntegrityError), transaction.atomic():
        Nonconformity.objects.filter(pk=nc.pk).update(root_cause="")
    # ... but only blanks can: the close service refuses them.
    Nonconformity.objects.filter(pk=nc.pk).update(root_cause="   \n ")
    assert "There is no root cause." in refused(nc, world)


def test_close_service_refuses_while_an_action_is_still_open(loop, world):
    nc = loop.verified()
    assert nc.completed_actions == 1 and nc.verification_result == "effective"
    CorrectiveAction.objects.create(
        nonconformity=nc,
        round=nc.round,
        description="Hành động còn dở",
        owner=world.teacher,
        due=timezone.localdate() + timedelta(days=5),
        created_by=world.principal,
    )
    assert "1 corrective action is still open." in refused(nc, world)


def test_close_service_refuses_an_open_action_of_an_earlier_round(loop, world):
    nc = loop.verified()
    Nonconformity.objects.filter(pk=nc.pk).update(round=2)
    CorrectiveAction.objects.filter(nonconformity=nc).update(round=2)
    Verification.objects.filter(nonconformity=nc).update(round=2)
    CorrectiveAction.objects.create(
        nonconformity=nc,
        round=1,
        description="Hành động vòng 1 chưa xong",
        owner=world.teacher,
        due=timezone.localdate(),
        created_by=world.principal,
    )
    nc.refresh_from_db()
    assert "still open" in refused(nc, world)


def test_close_service_refuses_when_no_action_of_this_round_is_done(loop, world):
    nc = loop.verified()
    # The counter still says one action is done; the row says it was cancelled.
    CorrectiveAction.objects.filter(nonconformity=nc).update(status="cancelled")
    assert Nonconformity.objects.get(pk=nc.pk).completed_actions == 1
    assert "No corrective action has been completed." in refused(nc, world)


@pytest.mark.parametrize("tamper", ["not_effective", "other_round", "missing"])
def test_close_service_refuses_without_this_rounds_effective_verification(loop, world, tamper):
    nc = loop.verified()
    rows = Verification.objects.filter(nonconformity=nc)
    if tamper == "not_effective":
        rows.update(result="not_effective")
    elif tamper == "other_round":
        rows.update(round=nc.round + 1)
    else:
        rows.delete()
    # The NC's copied result still says "effective".
    assert Nonconformity.objects.get(pk=nc.pk).verification_result == "effective"
    assert "have not been verified as effective" in refused(nc, world)


def test_close_service_refuses_when_the_ncs_own_result_disagrees(loop, world):
    nc = loop.verified()
    Nonconformity.objects.filter(pk=nc.pk).update(verification_result="not_effective")
    assert "have not been verified as effective" in refused(nc, world)


def test_close_takes_the_completed_count_from_the_rows(loop, world):
    nc = loop.verified()
    Nonconformity.objects.filter(pk=nc.pk).update(completed_actions=0)
    nc = services.nonconformity_close(nc, actor=world.principal, password="demo")
    nc.refresh_from_db()
    assert nc.status == S.CLOSED and nc.completed_actions == 1


# --- separation of duties: nobody closes what they opened or acted on ------------------------


def _verified_with_principal_as_action_owner(world):
    """An NC of the school whose only head (the principal) owned its corrective action."""
    from tests.nonconformities.factories import raise_nc

    nc = raise_nc(world.iso, world.school)
    nc = services.nonconformity_contain(nc, actor=world.teacher, containment="Đã khắc phục.")
    nc = services.nonconformity_analyse(
        nc, actor=world.teacher, root_cause="Thiếu phân công.", whys=["Không ai được giao"]
    )
    nc = services.nonconformity_check_extent(nc, actor=world.teacher, extent_check="Không lan.")
    action = services.action_add(
        nc,
        actor=world.principal,
        description="Phân công lưu biên bản.",
        owner=world.principal,
        due=timezone.localdate() + timedelta(days=5),
    )
    services.action_complete(action, actor=world.principal, evidence="Quyết định phân công.")
    nc.refresh_from_db()
    return services.nonconformity_verify(
        nc, actor=world.director, result="effective", notes="Không lặp lại."
    )


def test_an_action_owner_cannot_close_and_is_told_why(world):
    nc = _verified_with_principal_as_action_owner(world)
    assert not nc.can_close(world.principal)
    message = refused(nc, world)
    # The reason, in the user's language (Vietnamese by default).
    assert "Người thực hiện một hành động khắc phục của NC không được đóng NC" in message


def test_a_small_unit_with_no_independent_head_is_closed_by_a_manager_above(world):
    nc = _verified_with_principal_as_action_owner(world)
    # Nobody in the school may close it: the principal acted, the teacher is staff.
    assert not nc.can_close(world.teacher)
    # The quality manager opened it; the director above the school has not taken part.
    assert not nc.can_close(world.iso)
    assert nc.can_close(world.director)
    nc = services.nonconformity_close(nc, actor=world.director, password="demo")
    assert nc.status == S.CLOSED and nc.closed_by == world.director


def test_the_closing_signature_means_closed(loop, world):
    nc = loop.closed()
    signature = Signature.objects.for_object(nc).get()
    assert signature.meaning == Signature.Meaning.CLOSED
    with translation.override("en"):
        assert signature.get_meaning_display() == "Closed"


def test_the_close_form_is_not_offered_to_an_action_owner(world, client_for):
    from django.urls import reverse

    nc = _verified_with_principal_as_action_owner(world)
    url = reverse("nonconformities:detail", args=[nc.pk])
    assert b'data-testid="nc-close"' not in client_for(world.principal).get(url).content
    assert b'data-testid="nc-close"' in client_for(world.director).get(url).content
