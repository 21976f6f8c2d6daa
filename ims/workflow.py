"""The workflow kit: the one way every app writes a state change.

A workflow model declares its state machine once, as data (``Workflow`` of ``Step``): the states,
each step's from-states and target, and who may take it (the name of a ``can_<step>`` predicate
on the model). Services, templates and tests read that declaration:

- a service locks the record (``lock``), stops a step that may not happen with a reason in the
  user's language (``refuse``), and takes the step (``transition``): the from-state and authority
  are checked, the state saved with its history reason, the ``TransitionEvent`` written and the
  notifications scheduled after commit. A step that needs a signature goes through
  ``signed_step``; a service that creates a record writes its first step with ``created``;
- a page asks which steps a person may take now (``allowed_steps``) to decide its buttons;
- tests enumerate ``Workflow.steps``.

Services share one shape: keyword-only arguments after the record, the acting person as
``actor=``, and they return the record they changed or created (fresh from the lock).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from ims.history import with_reason
from ims.signatures import sign, verify_password
from ims.transitions import TransitionError, record_transition, state_labels

if TYPE_CHECKING:
    from django.http import HttpRequest

    from ims.models import Signature, User


class Refusal(TransitionError, PermissionDenied):
    """A step that may not happen now, or not by this person; its message is the reason, in the
    user's language. It is both a ``ValidationError`` (a form shows it) and a ``PermissionDenied``
    (left uncaught, it answers 403, never 500)."""


def refuse(message: Any, *, field: str | None = None) -> NoReturn:
    """Stop the step with ``message``; with ``field``, the form shows it on that field."""
    if field:
        raise ValidationError({field: message})
    raise Refusal(message)


def lock[M: models.Model](obj: M, *related: str) -> M:
    """``obj`` read again under a row lock (with ``related`` joined), for a change in this
    transaction. Every step reads the record it changes this way, never the caller's copy."""
    manager = type(obj)._default_manager
    return manager.select_for_update().select_related(*related).get(pk=obj.pk)


def after_commit(func: Callable[..., object], *args: Any, **kwargs: Any) -> None:
    """Run ``func(*args, **kwargs)`` once the transaction commits (a notification, a task)."""
    transaction.on_commit(lambda: func(*args, **kwargs))


@dataclass(frozen=True)
class Step:
    """One declared step: its name (recorded as the event's action), the states it leaves, the
    state it reaches (``None``: the state stays), who may take it (the name of a predicate
    ``can_…(user)`` on the model, which may also check the state) and the reason given to
    someone who may not."""

    name: str
    sources: tuple[str, ...]
    target: str | None = None
    may: str | None = None
    denied: Any = None

    def leads_from(self, state: str) -> bool:
        return state in self.sources


@dataclass(frozen=True)
class Workflow:
    """A model's state machine: its state field and its steps."""

    steps: tuple[Step, ...]
    field: str = "status"
    _by_name: dict[str, Step] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name = {step.name: step for step in self.steps}
        if len(by_name) != len(self.steps):
            raise ValueError("two steps share a name")
        object.__setattr__(self, "_by_name", by_name)

    def __getitem__(self, name: str) -> Step:
        return self._by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def transitions(self) -> dict[str, tuple[str, ...]]:
        """Each state and the states a step leads to from it."""
        moves: dict[str, list[str]] = {}
        for step in self.steps:
            if step.target is None:
                continue
            for source in step.sources:
                targets = moves.setdefault(source, [])
                if step.target not in targets:
                    targets.append(step.target)
        return {state: tuple(targets) for state, targets in moves.items()}

    def state_of(self, obj: models.Model) -> str:
        return getattr(obj, self.field)

    def check(self, obj: models.Model, name: str, actor: User | None) -> Step:
        """The step ``name`` if ``actor`` may take it on ``obj`` now; else a ``Refusal``."""
        step = self.check_state(obj, name)
        if step.may and not getattr(obj, step.may)(actor):
            raise Refusal(step.denied or _("You are not allowed to do this."))
        return step

    def check_state(self, obj: models.Model, name: str) -> Step:
        """The step ``name`` if it leaves ``obj``'s state; else a ``Refusal``. For a service
        that then checks who may take it in its own, more precise words."""
        step = self[name]
        state = self.state_of(obj)
        if not step.leads_from(state):
            labels = state_labels(type(obj))
            target = step.target or state
            raise Refusal(
                _("This step is not allowed: %(current)s → %(target)s.")
                % {
                    "current": labels.get(state, state),
                    "target": labels.get(target, target),
                }
            )
        return step

    def allowed(self, obj: models.Model, actor: User | None) -> set[str]:
        """The names of the steps ``actor`` may take on ``obj`` now."""
        allowed = set()
        for step in self.steps:
            try:
                self.check(obj, step.name, actor)
            except Refusal:
                continue
            allowed.add(step.name)
        return allowed


def workflow_of(obj: models.Model | type[models.Model]) -> Workflow:
    machine = getattr(obj, "workflow", None)
    if not isinstance(machine, Workflow):
        raise TypeError(f"{obj!r} declares no workflow")
    return machine


def allowed_steps(obj: models.Model, actor: User | None) -> set[str]:
    """For a page: the steps ``actor`` may take on ``obj`` now (``{% if "approve" in steps %}``)."""
    return workflow_of(obj).allowed(obj, actor)


def transition[M: models.Model](
    obj: M,
    name: str,
    *,
    actor: User | None,
    reason: str = "",
    fields: Iterable[str] = (),
    unit: models.Model | None = None,
    notify: Callable[[], object] | None = None,
    checked: bool = True,
    save: bool = True,
) -> M:
    """Take the declared step ``name`` on ``obj`` (locked by the caller, in its transaction).

    Checks the from-state and ``actor``'s authority (``checked=False`` when the service has
    already checked them in its own words), sets the target state, saves it with ``fields`` and
    the history ``reason``, writes the ``TransitionEvent`` and schedules ``notify`` after commit.

    ``save=False`` for a step that keeps the state and whose changes, if any, the service saved
    itself (its history row carrying another reason than the event's): only the event is written.
    """
    machine = workflow_of(obj)
    step = machine.check(obj, name, actor) if checked else machine[name]
    from_state = machine.state_of(obj)
    to_state = step.target or from_state
    if save:
        setattr(obj, machine.field, to_state)
        update = [machine.field, *fields]
        if any(f.name == "updated_at" for f in obj._meta.concrete_fields):
            update.append("updated_at")
        with_reason(obj, reason).save(update_fields=list(dict.fromkeys(update)))
    elif to_state != from_state or fields:
        raise ValueError("only a step that keeps the state and saves no field may skip the save")
    record_transition(
        obj,
        actor=actor,
        action=step.name,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        unit=unit,
    )
    if notify is not None:
        transaction.on_commit(notify)
    return obj


def created[M: models.Model](
    obj: M,
    name: str,
    *,
    actor: User | None,
    reason: str = "",
    unit: models.Model | None = None,
    notify: Callable[[], object] | None = None,
) -> M:
    """Record the step ``name`` that brought the new, saved ``obj`` into being (from no state to
    its first): the ``TransitionEvent``, and ``notify`` scheduled after commit. A creation has no
    from-state to check, so it is not one of the declared steps."""
    record_transition(
        obj,
        actor=actor,
        action=name,
        from_state="",
        to_state=workflow_of(obj).state_of(obj),
        reason=reason,
        unit=unit,
    )
    if notify is not None:
        transaction.on_commit(notify)
    return obj


def signed_step[M: models.Model, R](
    obj: M,
    *,
    actor: User,
    password: str,
    meaning: str,
    check: Callable[[M], object],
    apply: Callable[[M, Signature], R],
    comment: str = "",
    request: HttpRequest | None = None,
    lock: Callable[[M], M] = lock,
) -> R:
    """A step that needs the actor's signature.

    ``check(locked)`` refuses a step that may not happen before the password is looked at, so a
    refused step never counts towards the sign-in lockout. The password is then checked outside
    any transaction (through the lockout: a wrong one counts, a paused account is refused the
    same way), and in one transaction the record is locked, checked again, signed over its
    content hash and ``apply(locked, signature)`` changes it. Returns what ``apply`` returns.
    """
    with transaction.atomic():
        check(lock(obj))
    verify_password(actor, password, request)
    with transaction.atomic():
        locked = lock(obj)
        check(locked)
        signature = sign(
            locked,
            signer=actor,
            password=password,
            meaning=meaning,
            comment=comment,
            request=request,
        )
        return apply(locked, signature)
