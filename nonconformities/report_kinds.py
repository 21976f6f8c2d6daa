"""The NC report: description, containment, root cause, actions, verification."""

from django.utils.translation import gettext_lazy as _

from ims.reports import ReportKind
from ims.signatures import signatures_for
from ims.transitions import history_of, labelled
from nonconformities.models import CauseEntry, CorrectiveAction, Nonconformity


def _labelled(events):
    """The NC's steps named, with its and its actions' states in words (never raw codes)."""
    events = labelled(events, Nonconformity)
    action_labels = dict(CorrectiveAction.Status.choices)
    for event in events:
        event.from_label = action_labels.get(event.from_label, event.from_label)
        event.to_label = action_labels.get(event.to_label, event.to_label)
    return events


class NonconformityReport(ReportKind):
    code = "nonconformity"
    label = _("Nonconformity report")
    template = "reports/nonconformity.html"

    def queryset(self, user):
        ncs = Nonconformity.objects.select_related(
            "unit", "reported_by", "contained_by", "planned_verifier", "closed_by", "repeat_of"
        )
        return ncs if user is None else ncs.for_user(user)

    def get_context(self, obj, params):
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

    def filename(self, obj, params):
        return f"{obj.number}.pdf"
