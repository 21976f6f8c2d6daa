"""Recording workflow steps. Each domain service calls ``record_transition`` inside its
transaction, after checking the step is allowed and before side effects are scheduled."""

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Model, Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ims.models import OrgUnit, TransitionEvent, User

if TYPE_CHECKING:
    from ims.access import AnyUser


class TransitionError(ValidationError):
    """A workflow step that is not allowed from the current state, or by this user."""


def check_transition(current: str, target: str, allowed: Mapping[str, Iterable[str]]) -> None:
    """Raise ``TransitionError`` unless ``target`` is allowed from ``current``."""
    if target not in allowed.get(current, ()):
        raise TransitionError(
            _("This step is not allowed: %(current)s → %(target)s.")
            % {"current": current, "target": target}
        )


def record_transition(
    obj: Model,
    *,
    actor: User | None,
    action: str,
    from_state: str | None,
    to_state: str,
    reason: str | Promise = "",
    unit: Model | None = None,
) -> TransitionEvent:
    """Record a step; ``unit`` when the step concerns one unit of a record spanning several."""
    return TransitionEvent.objects.create(
        content_object=obj,
        object_id=str(obj.pk),
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        from_state=from_state or "",
        to_state=to_state,
        reason=str(reason) if reason else "",
        unit=cast(OrgUnit | None, unit),
    )


def state_labels(model: type[Model]) -> dict[Any, Any]:
    """``model``'s states named in the user's language: its ``Status`` or its status field's choices."""
    status = getattr(model, "Status", None)
    if status is not None:
        return dict(status.choices)
    try:
        return dict(model._meta.get_field("status").flatchoices)  # type: ignore[union-attr]
    except FieldDoesNotExist:  # states shown as stored
        return {}


def step_name(event: TransitionEvent, steps: Mapping[str, Any], labels: Mapping[Any, Any]) -> Any:
    """What happened at ``event``, in words: the model's name for the step (``STEP_NAMES``), or
    else the state it led to; never a bare "— →"."""
    name = steps.get(event.action)
    if name:
        return name
    to_label = labels.get(event.to_state, event.to_state)
    return to_label or event.action


def labelled(events: Iterable[TransitionEvent], model: type[Model]) -> list[TransitionEvent]:
    """``events`` as a list, each with ``step_name``, ``from_label`` and ``to_label`` for the
    transitions table. ``model.STEP_NAMES`` maps a step's action to its name."""
    labels = state_labels(model)
    steps = getattr(model, "STEP_NAMES", {})
    events = list(events)
    for event in events:
        # Attributes for the template's table, on these instances only.
        event.step_name = step_name(event, steps, labels)
        event.from_label = labels.get(event.from_state, event.from_state)
        event.to_label = labels.get(event.to_state, event.to_state)
    return events


def history_of(obj: Model, user: "AnyUser | None" = None) -> QuerySet[TransitionEvent]:
    """The steps of ``obj``; for ``user``, without the steps about a unit they do not see."""
    events = TransitionEvent.objects.for_object(obj).select_related("actor")
    if user is not None:
        from ims.access import units_visible_to

        events = events.filter(Q(unit__isnull=True) | Q(unit__in=units_visible_to(user)))
    return events
