"""The core workflow kit (``ims.workflow``): declared state machines refuse every undeclared
step, in words, and every workflow model declares its machine consistently."""

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils import translation

from ims import workflow
from ims.steps import attempt, refusal_messages
from ims.workflow import Refusal, Step, Workflow, created, refuse

# Models whose status is a background job's progress, not a workflow people take steps in.
NOT_WORKFLOWS = {"ims.ReportJob"}


class Ticket:
    """A stand-in record: the kit reads only its state and its predicates."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"

    workflow = Workflow(
        steps=(
            Step("finish", ("open",), "done", may="can_finish", denied="Only the owner finishes."),
            Step("reopen", ("done",), "open"),
            Step("comment", ("open", "done")),
        )
    )

    def __init__(self, status, owner=None):
        self.status, self.owner = status, owner

    def can_finish(self, user):
        return user is not None and user == self.owner


def test_a_step_from_a_state_it_does_not_leave_is_refused_with_state_names():
    with translation.override("en"), pytest.raises(Refusal) as refused:
        Ticket.workflow.check(Ticket("done", owner="ana"), "finish", "ana")
    assert str(refused.value.messages[0]) == "This step is not allowed: Done → Done."


def test_a_step_by_someone_its_predicate_refuses_gives_the_declared_reason():
    with pytest.raises(Refusal) as refused:
        Ticket.workflow.check(Ticket("open", owner="ana"), "finish", "bo")
    assert refused.value.messages == ["Only the owner finishes."]


def test_a_refusal_is_both_a_validation_error_and_a_permission_denied():
    """A form shows it; left uncaught in a view it answers 403, never 500."""
    assert issubclass(Refusal, ValidationError) and issubclass(Refusal, PermissionDenied)
    with pytest.raises(ValidationError) as refused:
        refuse("Give a reason.", field="reason")
    assert refused.value.message_dict == {"reason": ["Give a reason."]}
    with translation.override("en"):
        assert refusal_messages(PermissionDenied()) == ["You are not allowed to do this."]


def test_check_state_refuses_only_a_step_the_state_does_not_allow():
    """A service checks the state first, then who may act in its own words."""
    assert Ticket.workflow.check_state(Ticket("open", owner="ana"), "finish").name == "finish"
    with pytest.raises(Refusal):
        Ticket.workflow.check_state(Ticket("done", owner="ana"), "finish")


def test_allowed_steps_follow_state_and_authority():
    ticket = Ticket("open", owner="ana")
    assert Ticket.workflow.allowed(ticket, "ana") == {"finish", "comment"}
    assert Ticket.workflow.allowed(ticket, "bo") == {"comment"}
    assert Ticket.workflow.transitions() == {"open": ("done",), "done": ("open",)}


def test_two_steps_with_one_name_are_a_declaration_error():
    with pytest.raises(ValueError):
        Workflow(steps=(Step("a", ("x",)), Step("a", ("y",))))


def _workflow_models():
    for model in apps.get_models():
        if model._meta.label in NOT_WORKFLOWS or model.__name__.startswith("Historical"):
            continue
        if isinstance(getattr(model, "workflow", None), Workflow):
            yield model


def test_every_model_with_a_status_declares_its_workflow():
    """A status field people move through steps is a declared machine, never an implicit one."""
    undeclared = [
        model._meta.label
        for model in apps.get_models()
        if not model.__name__.startswith("Historical")
        and model._meta.label not in NOT_WORKFLOWS
        and any(f.name == "status" and f.choices for f in model._meta.concrete_fields)
        and not isinstance(getattr(model, "workflow", None), Workflow)
    ]
    assert undeclared == []


@pytest.mark.parametrize("model", list(_workflow_models()), ids=lambda m: m._meta.label)
def test_each_declared_machine_names_real_states_and_predicates(model):
    machine = model.workflow
    states = set(dict(model._meta.get_field(machine.field).flatchoices))
    for step in machine.steps:
        assert set(step.sources) <= states, step
        assert step.target is None or step.target in states, step
        assert step.may is None or callable(getattr(model, step.may, None)), step
        # the history table names every step: by its own name, or by the state it leads to
        assert step.name in getattr(model, "STEP_NAMES", {}) or step.target, step


@pytest.mark.parametrize("model", list(_workflow_models()), ids=lambda m: m._meta.label)
def test_each_declared_step_is_refused_from_every_state_it_does_not_leave(model):
    machine = model.workflow
    states = dict(model._meta.get_field(machine.field).flatchoices)
    for step in machine.steps:
        for state in set(states) - set(step.sources):
            record = model(**{machine.field: state})
            with pytest.raises(Refusal):
                machine.check(record, step.name, None)


def test_a_creation_is_recorded_from_no_state_and_notifies_after_commit(
    db, monkeypatch, django_capture_on_commit_callbacks
):
    recorded, sent = [], []
    monkeypatch.setattr(workflow, "record_transition", lambda obj, **kw: recorded.append(kw))
    ticket = Ticket("open", owner="ana")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert created(ticket, "raise", actor=None, notify=lambda: sent.append(1)) is ticket
    assert recorded == [
        {
            "actor": None,
            "action": "raise",
            "from_state": "",
            "to_state": "open",
            "reason": "",
            "unit": None,
        }
    ]
    assert sent == [] and len(callbacks) == 1
    callbacks[0]()
    assert sent == [1]


def test_a_step_that_keeps_the_state_may_write_only_its_event(db, monkeypatch):
    """The service saved the record itself (with the person's reason in its history); the
    event says what the step was, and the record is not saved a second time."""
    recorded = []
    monkeypatch.setattr(workflow, "record_transition", lambda obj, **kw: recorded.append(kw))
    ticket = Ticket("open", owner="ana")  # a stand-in with no save(): saving would fail
    assert workflow.transition(ticket, "comment", actor=None, reason="a → b", save=False) is ticket
    assert [(e["action"], e["from_state"], e["to_state"], e["reason"]) for e in recorded] == [
        ("comment", "open", "open", "a → b")
    ]
    with pytest.raises(ValueError):
        workflow.transition(ticket, "finish", actor="ana", save=False)
    assert ticket.status == "open"


def test_attempt_hands_a_step_refused_outright_to_refused_and_bad_input_to_the_form(rf):
    from django import forms as django_forms

    class NoteForm(django_forms.Form):
        note = django_forms.CharField()

    def refused_step():
        refuse("The ticket is closed.")

    def bad_input():
        raise ValidationError({"note": "Say more."})

    said = []
    form = NoteForm({"note": "x"})
    assert form.is_valid()
    ok, result = attempt(rf.post("/"), refused_step, forms=(form,), refused=said.extend)
    assert (ok, result, said, form.errors) == (False, None, ["The ticket is closed."], {})
    ok, _ = attempt(rf.post("/"), bad_input, forms=(form,), refused=said.extend)
    assert not ok and form.errors == {"note": ["Say more."]} and said == ["The ticket is closed."]
