"""What the surveys module puts on a person's task list (``ims.worklist``).

Survey results below the threshold (``surveys.results.nc_threshold``), for the people who
manage the unit (director, quality manager, unit head, principal: ``MANAGE_ROLES``, the roles
that may raise a nonconformity from a result). The index is the results page's overall index
(pooled Likert answers over the unit's subtree, ``results.likert_index``), shown only when at
least ``min_group_size`` people answered; a campaign that closed more than
``SURVEY_RESULT_TASK_DAYS`` (120) days ago drops off, and so does a result someone already
turned into a nonconformity or improvement opportunity (a ``ResultAction`` for the unit).

Four queries whatever the number of units and campaigns: the user's units, then the answers and
the respondents summed per campaign and unit in SQL, and the results already acted on.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Case, F, IntegerField, Q, Sum, Value, When
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from ims.access import member_roles
from ims.models import Membership
from ims.notifications import register_action_kinds
from ims.worklist import WorkItem, register_kind, register_worklist

from .models import MANAGE_ROLES, Campaign, QuestionKind, ResultAction, UnitTally, ValueTally
from .results import likert_index, min_group_size, nc_threshold

LOW_RESULT = "surveys.low_result"

# Notifications that hand the recipient a step to take (the bell's "needs you").
ACTION_KINDS = ("survey_low_response",)


def _scopes(user):
    """The units where ``user`` manages, keeping only the outermost (a subtree counts once)."""
    units = sorted(
        {
            (m.unit.path, m.unit)
            for m in Membership.objects.active()
            .filter(user=user, role__in=list(MANAGE_ROLES))
            .select_related("unit")
        },
        key=lambda pair: pair[0],
    )
    outermost = []
    for path, unit in units:
        if not any(path.startswith(kept.path) for kept in outermost):
            outermost.append(unit)
    return outermost


def _per_scope(scopes):
    """A CASE naming, for a tally row, the scope whose subtree holds its unit."""
    return Case(
        *[When(unit__path__startswith=scope.path, then=Value(scope.pk)) for scope in scopes],
        output_field=IntegerField(),
    )


def low_results(user, today):
    if not member_roles(user) & MANAGE_ROLES:  # no query: the menu's roles
        return
    scopes = _scopes(user)
    if not scopes:
        return
    days = getattr(settings, "SURVEY_RESULT_TASK_DAYS", 120)
    campaigns = Q(
        campaign__status__in=[Campaign.Status.PUBLISHED, Campaign.Status.CLOSED],
        campaign__closes_on__gte=today - timedelta(days=days),
    )
    in_scopes = Q()
    for scope in scopes:
        in_scopes |= Q(unit__path__startswith=scope.path)
    respondents = {
        (row["campaign"], row["scope"]): row["n"]
        for row in UnitTally.objects.filter(campaigns, in_scopes)
        .annotate(scope=_per_scope(scopes))
        .values("campaign", "scope")
        .annotate(n=Sum("count"))
    }
    answers = (
        ValueTally.objects.filter(campaigns, in_scopes, question__kind=QuestionKind.LIKERT)
        .annotate(scope=_per_scope(scopes))
        .values("campaign", "scope", "campaign__title", "campaign__closes_on")
        .annotate(total=Sum("count"), weighted=Sum(F("value") * F("count")))
    )
    k, threshold = min_group_size(), nc_threshold()
    low = []
    for row in answers:
        n = respondents.get((row["campaign"], row["scope"]), 0)
        if n < k or not row["total"]:
            continue  # too few answers to show (the results page hides it too)
        index = likert_index(row["weighted"] / row["total"])
        if index < threshold:
            low.append((row, index, n))
    if not low:
        return
    acted = set(
        ResultAction.objects.filter(
            campaign__in={row["campaign"] for row, _i, _n in low},
            unit__in=[scope.pk for scope in scopes],
        ).values_list("campaign_id", "unit_id")
    )
    by_pk = {scope.pk: scope for scope in scopes}
    for row, index, n in low:
        if (row["campaign"], row["scope"]) in acted:
            continue
        scope = by_pk[row["scope"]]
        url = reverse("surveys:results", args=[row["campaign"]]) + f"?unit={scope.pk}"
        yield WorkItem(
            LOW_RESULT,
            f"{row['campaign__title']} · {number_format(index, 1)} (n = {n})",
            url,
            unit=scope.label,
        )


def register():
    register_kind(LOW_RESULT, _("Survey result below the threshold"), order=40)
    register_worklist("surveys", low_results)
    register_action_kinds(*ACTION_KINDS)
