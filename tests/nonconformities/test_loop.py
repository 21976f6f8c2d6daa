"""The PDCA loop: every step, every illegal jump refused, "not effective" reopens."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ims.models import Signature, TransitionEvent
from ims.signatures import SignatureError
from ims.transitions import TransitionError
from nonconformities import services
from nonconformities.models import CauseEntry, CorrectiveAction, Nonconformity, Verification

pytestmark = pytest.mark.django_db
S = Nonconformity.Status


def test_every_step_in_order_records_an_event(loop, world):
    nc = loop.closed()
    assert nc.status == S.CLOSED
    assert nc.closed_by == world.principal
    actions = list(
        TransitionEvent.objects.for_object(nc).values_list("action", "from_state", "to_state")
    )
    assert actions == [
        ("raise", "", "open"),
        ("contain", "open", "contained"),
        ("analyse", "contained", "analysed"),
        ("check_extent", "analysed", "extent_checked"),
        ("plan_actions", "extent_checked", "in_action"),
        ("actions_done", "in_action", "awaiting_verification"),
        ("verify", "awaiting_verification", "verified"),
        ("close", "verified", "closed"),
    ]
    assert list(nc.causes.values_list("method", flat=True)) == ["fishbone", "why", "why"]
    signature = Signature.objects.for_object(nc).get()
    assert signature.meaning == "closed" and signature.is_valid_for(nc)


@pytest.mark.parametrize(
    "state, step",
    [
        ("raised", "analyse"),
        ("raised", "extent"),
        ("raised", "action"),
        ("raised", "verify"),
        ("raised", "close"),
        ("contained", "contain"),
        ("contained", "extent"),
        ("contained", "action"),
        ("analysed", "action"),
        ("analysed", "verify"),
        ("in_action", "verify"),
        ("in_action", "close"),
        ("in_action", "analyse"),
        ("awaiting_verification", "close"),
        ("awaiting_verification", "action"),
        ("verified", "verify"),
        ("closed", "contain"),
        ("closed", "action"),
    ],
)
def test_illegal_jumps_are_refused_and_change_nothing(loop, world, state, step):
    nc = getattr(loop, state)()
    before = nc.status
    calls = {
        "contain": lambda: services.nonconformity_contain(
            nc, actor=world.principal, containment="x"
        ),
        "analyse": lambda: services.nonconformity_analyse(
            nc, actor=world.principal, root_cause="x", whys=["y"]
        ),
        "extent": lambda: services.nonconformity_check_extent(
            nc, actor=world.principal, extent_check="x"
        ),
        "action": lambda: services.action_add(
            nc,
            actor=world.principal,
            description="x",
            owner=world.teacher,
            due=timezone.localdate(),
        ),
        "verify": lambda: services.nonconformity_verify(
            nc, actor=world.director, result="effective", notes="x"
        ),
        "close": lambda: services.nonconformity_close(nc, actor=world.director, password="demo"),
    }
    with pytest.raises(TransitionError):
        calls[step]()
    nc.refresh_from_db()
    assert nc.status == before


def test_not_effective_reopens_at_actions_and_keeps_history(loop, world):
    nc = loop.awaiting_verification()
    first_action = loop.action
    nc = services.nonconformity_verify(
        nc, actor=world.director, result="not_effective", notes="Lỗi lặp lại ở lớp 5A."
    )
    assert nc.status == S.IN_ACTION
    assert nc.round == 2 and nc.completed_actions == 0
    # The first round stays on record.
    first_action.refresh_from_db()
    assert first_action.status == CorrectiveAction.Status.DONE and first_action.round == 1
    assert Verification.objects.get(nonconformity=nc, round=1).result == "not_effective"
    # Closing is impossible until a new action of round 2 is done and verified effective.
    with pytest.raises(TransitionError):
        services.nonconformity_close(nc, actor=world.director, password="demo")
    action = services.action_add(
        nc,
        actor=world.principal,
        description="Tập huấn lại cho giáo viên chủ nhiệm.",
        owner=world.teacher,
        due=timezone.localdate() + timedelta(days=5),
    )
    assert action.round == 2
    services.action_complete(action, actor=world.teacher, evidence="Biên bản tập huấn.")
    nc.refresh_from_db()
    assert nc.status == S.AWAITING_VERIFICATION
    services.nonconformity_verify(nc, actor=world.director, result="effective", notes="Ổn định.")
    nc = services.nonconformity_close(nc, actor=world.principal, password="demo")
    assert nc.status == S.CLOSED
    assert nc.verifications.count() == 2


def test_opener_cannot_close(loop, world):
    nc = loop.verified(actor=world.principal)  # the principal opened it
    with pytest.raises(TransitionError):
        services.nonconformity_close(nc, actor=world.principal, password="demo")
    nc.refresh_from_db()
    assert nc.status == S.VERIFIED
    assert not Signature.objects.for_object(nc).exists()


def test_action_owner_cannot_verify(loop, world):
    nc = loop.awaiting_verification()
    # teacher owns the action; the principal adds himself as a second owner's case below
    with pytest.raises(TransitionError):
        services.nonconformity_verify(nc, actor=world.teacher, result="effective", notes="x")
    nc.refresh_from_db()
    assert nc.status == S.AWAITING_VERIFICATION and not nc.verifications.exists()


def test_opener_cannot_verify(loop, world):
    nc = loop.awaiting_verification(actor=world.director)
    with pytest.raises(TransitionError):
        services.nonconformity_verify(nc, actor=world.director, result="effective", notes="x")


def test_staff_cannot_close_even_when_verified(loop, world):
    nc = loop.verified()
    with pytest.raises(TransitionError):
        services.nonconformity_close(nc, actor=world.teacher, password="demo")


def test_wrong_password_closes_nothing(loop, world):
    nc = loop.verified()
    with pytest.raises(SignatureError):
        services.nonconformity_close(nc, actor=world.principal, password="wrong")
    nc.refresh_from_db()
    assert nc.status == S.VERIFIED
    assert not Signature.objects.for_object(nc).exists()
    # The failed attempt is recorded (it counts towards the sign-in lockout).
    assert AccessAttempt.objects.get(username="principal").failures_since_start == 1


def test_only_owner_completes_action_and_evidence_is_required(loop, world):
    nc = loop.in_action()
    with pytest.raises(TransitionError):
        services.action_complete(loop.action, actor=world.principal, evidence="x")
    with pytest.raises(ValidationError):
        services.action_complete(loop.action, actor=world.teacher, evidence="   ")
    nc.refresh_from_db()
    assert nc.status == S.IN_ACTION


def test_cancelled_actions_do_not_count_as_completed(loop, world):
    nc = loop.in_action()
    second = services.action_add(
        nc,
        actor=world.principal,
        description="Hành động thứ hai",
        owner=world.teacher,
        due=timezone.localdate() + timedelta(days=3),
    )
    services.action_cancel(loop.action, actor=world.principal, reason="Trùng lặp")
    nc.refresh_from_db()
    assert nc.status == S.IN_ACTION  # the second is still open
    services.action_complete(second, actor=world.teacher, evidence="Đã làm")
    nc.refresh_from_db()
    assert nc.status == S.AWAITING_VERIFICATION and nc.completed_actions == 1


def test_analysis_needs_a_why_or_a_fishbone_cause(loop, world):
    nc = loop.contained()
    with pytest.raises(ValidationError):
        services.nonconformity_analyse(nc, actor=world.principal, root_cause="x")
    with pytest.raises(ValidationError):
        services.nonconformity_analyse(nc, actor=world.principal, root_cause=" ", whys=["a"])
    assert not CauseEntry.objects.exists()


def test_verification_plan_after_last_action_by_independent_person(loop, world):
    nc = loop.in_action()
    due = loop.action.due
    with pytest.raises(ValidationError):
        services.nonconformity_plan_verification(
            nc, actor=world.principal, verifier=world.director, planned_on=due
        )
    with pytest.raises(ValidationError):
        services.nonconformity_plan_verification(
            nc, actor=world.principal, verifier=world.teacher, planned_on=due + timedelta(days=30)
        )
    nc = services.nonconformity_plan_verification(
        nc, actor=world.principal, verifier=world.director, planned_on=due + timedelta(days=30)
    )
    assert nc.planned_verifier == world.director


def test_action_due_in_the_past_is_refused(loop, world):
    nc = loop.extent_checked()
    with pytest.raises(ValidationError):
        services.action_add(
            nc,
            actor=world.principal,
            description="x",
            owner=world.teacher,
            due=timezone.localdate() - timedelta(days=1),
        )
    nc.refresh_from_db()
    assert nc.status == S.EXTENT_CHECKED


# --- closure conditions: service and database --------------------------------------------


@pytest.mark.parametrize("missing", ["completed_action", "effective"])
def test_closure_refused_when_a_condition_is_missing(loop, world, missing):
    nc = loop.verified()
    if missing == "completed_action":
        CorrectiveAction.objects.filter(nonconformity=nc).update(
            status=CorrectiveAction.Status.CANCELLED
        )
    else:
        Nonconformity.objects.filter(pk=nc.pk).update(verification_result="not_effective")
    nc.refresh_from_db()
    with pytest.raises(TransitionError):
        services.nonconformity_close(nc, actor=world.principal, password="demo")
    nc.refresh_from_db()
    assert nc.status == S.VERIFIED


@pytest.mark.parametrize(
    "change",
    [
        {"root_cause": ""},
        {"completed_actions": 0},
        {"verification_result": "not_effective"},
        {"verification_result": ""},
        {"closed_by": None},
    ],
)
def test_database_refuses_a_closed_nc_without_the_loop(loop, world, change):
    nc = loop.closed()
    with pytest.raises(IntegrityError), transaction.atomic():
        Nonconformity.objects.filter(pk=nc.pk).update(**change)


def test_database_refuses_closure_by_the_opener(loop, world):
    nc = loop.closed()
    with pytest.raises(IntegrityError), transaction.atomic():
        Nonconformity.objects.filter(pk=nc.pk).update(closed_by=nc.reported_by)


def test_database_refuses_done_action_without_evidence(loop, world):
    loop.in_action()
    with pytest.raises(IntegrityError), transaction.atomic():
        CorrectiveAction.objects.filter(pk=loop.action.pk).update(status="done")


def test_repeat_is_flagged_for_same_clause_and_unit_within_a_year(loop, world):
    from ims.models import Clause

    clause = Clause.objects.first()
    first = loop.closed(clauses=[clause])
    repeat = loop.raised(clauses=[clause])
    assert repeat.repeat_of == first
    other_clause = Clause.objects.exclude(pk=clause.pk).first()
    assert loop.raised(clauses=[other_clause]).repeat_of is None
    Nonconformity.objects.filter(pk=first.pk).update(closed_at=timezone.now() - timedelta(days=400))
    assert loop.raised(clauses=[clause]).repeat_of is None


def test_repeat_counts_an_equivalent_clause_of_the_other_standard(loop, world):
    from ims.models import Clause

    iso9001 = Clause.objects.get(criteria_set__code="iso-9001-2015", number="10.2")
    iso21001 = iso9001.mapped_to.get()
    first = loop.closed(clauses=[iso9001])
    assert loop.raised(clauses=[iso21001]).repeat_of == first
    assert loop.raised(clauses=[iso21001], kind="improvement").repeat_of is None
