"""The declared loop: the states each step leads to, and the steps the NC page offers to whom."""

import pytest

from ims.models import TransitionEvent
from ims.workflow import allowed_steps
from nonconformities.models import CorrectiveAction, Nonconformity

pytestmark = pytest.mark.django_db


def test_the_loop_leads_only_forward_except_not_effective_back_to_the_actions():
    assert Nonconformity.workflow.transitions() == {
        "open": ("contained",),
        "contained": ("analysed",),
        "analysed": ("extent_checked",),
        "extent_checked": ("in_action",),
        "in_action": ("awaiting_verification",),
        "awaiting_verification": ("verified", "in_action"),
        "verified": ("closed",),
    }
    assert CorrectiveAction.workflow.transitions() == {"open": ("done", "cancelled")}


def test_every_event_of_a_full_loop_is_a_declared_step(loop):
    nc = loop.closed()
    actions = set(TransitionEvent.objects.for_object(nc).values_list("action", flat=True))
    assert actions - {"raise"} <= {step.name for step in Nonconformity.workflow.steps}


def test_the_steps_offered_follow_the_state_and_the_person(loop, world):
    nc = loop.raised()
    assert {"assign_containment", "contain"} <= allowed_steps(nc, world.principal)
    assert allowed_steps(nc, world.principal2) == set()  # another school's head
    nc = loop.awaiting_verification()
    assert {"verify", "plan_verification"} <= allowed_steps(nc, world.director)
    # the owner of the round's action never verifies it
    assert not {"verify", "verify_not_effective"} & allowed_steps(nc, world.teacher)
    action = nc.actions.get()
    assert allowed_steps(action, world.teacher) == set()  # done: nothing left to take
