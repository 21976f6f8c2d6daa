"""The NC report: description, containment, root cause, actions, verification."""

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ims.models import TransitionEvent, User
from ims.reports import ReportKind
from ims.signatures import signatures_for
from ims.transitions import history_of, labelled
from nonconformities.models import CauseEntry, CorrectiveAction, Nonconformity


def _labelled(events: Iterable[TransitionEvent]) -> list[TransitionEvent]:
    """The NC's steps named, with its and its actions' states in words (never raw codes)."""
    named = labelled(events, Nonconformity)
    action_labels: dict[str | Promise, str | Promise] = dict(CorrectiveAction.Status.choices)
    for event in named:
        event.from_label = action_labels.get(event.from_label, event.from_label)
        event.to_label = action_labels.get(event.to_label, event.to_label)
    return named


class NonconformityReport(ReportKind):
    code = "nonconformity"
    label = _("Nonconformity report")
    template = "reports/nonconformity.html"

    def queryset(self, user: User | None) -> QuerySet[Nonconformity]:
        ncs = Nonconformity.objects.select_related(
            "unit", "reported_by", "contained_by", "planned_verifier", "closed_by", "repeat_of"
        )
        return ncs if user is None else ncs.for_user(user)

    def get_context(self, obj: Nonconformity, params: dict[str, Any]) -> dict[str, Any]:
        causes = list(obj.causes.select_related("category"))
        return {
            "nc": obj,
            "clauses": obj.clauses.select_related("criteria_set"),
            "whys": [c for c in causes if c.method == CauseEntry.Method.WHY],
            "fishbone": [c for c in causes if c.method == CauseEntry.Method.FISHBONE],
            "actions": obj.actions.select_related("owner"),
            "verifications": obj.verifications.select_related("verifier"),
            "signatures": signatures_for(obj),
            "events": _labelled(history_of(obj)),
        }

    def filename(self, obj: Nonconformity, params: dict[str, Any]) -> str:
        return f"{obj.number}.pdf"
