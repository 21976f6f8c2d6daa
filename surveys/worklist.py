"""What the surveys module puts on a person's task list (``ims.worklist``).

Survey results below the threshold (``surveys.results.nc_threshold``), for the people who
manage the unit (director, quality manager, unit head, principal: ``MANAGE_ROLES``, the roles
that may raise a nonconformity from a result). The index is the results page's overall index
(pooled Likert answers over the unit's subtree), with the same figures and the same hidden
cells as that page (``surveys.results``: released figures below the Department); a campaign
that closed more than ``SURVEY_RESULT_TASK_DAYS`` (120) days ago drops off, and so does a
result someone already turned into a nonconformity or improvement opportunity (a
``ResultAction`` for the unit).

A few queries whatever the number of units and campaigns: the user's units, the campaigns with
answers there, their figures (``results.releases``), the answers per unit the user manages,
and the results already acted on."""

from collections.abc import Iterator
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from ims.access import member_roles
from ims.models import Membership, OrgUnit, User
from ims.notifications import register_action_kinds
from ims.worklist import WorkItem, register_kind, register_worklist

from .models import MANAGE_ROLES, Campaign, ResultAction, UnitTally
from .results import nc_threshold, pooled_index, releases, scope_summaries

LOW_RESULT = "surveys.low_result"

# Notifications that hand the recipient a step to take (the bell's "needs you").
ACTION_KINDS = ("survey_low_response",)


def _scopes(user: User) -> list[OrgUnit]:
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
    outermost: list[OrgUnit] = []
    for path, unit in units:
        if not any(path.startswith(kept.path) for kept in outermost):
            outermost.append(unit)
    return outermost


def low_results(user: User, today: date) -> Iterator[WorkItem]:
    if not member_roles(user) & MANAGE_ROLES:  # no query: the menu's roles
        return
    scopes = _scopes(user)
    if not scopes:
        return
    days = getattr(settings, "SURVEY_RESULT_TASK_DAYS", 120)
    in_scopes = Q()
    for scope in scopes:
        in_scopes |= Q(unit__path__startswith=scope.path)
    campaigns = list(
        Campaign.objects.filter(
            status__in=[Campaign.Status.PUBLISHED, Campaign.Status.CLOSED],
            closes_on__gte=today - timedelta(days=days),
        )
        .filter(Exists(UnitTally.objects.filter(in_scopes, campaign=OuterRef("pk"))))
        .only("pk", "title", "status", "closes_on")
    )
    if not campaigns:
        return
    found = releases(campaigns)
    threshold = nc_threshold()
    low = []
    for scope in scopes:
        summaries = scope_summaries(campaigns, scope, found)
        for campaign in campaigns:
            summary = summaries[campaign.pk]
            index = None if summary.hidden else pooled_index(summary.likert)
            if index is not None and index < threshold:
                low.append((campaign, scope, index, summary.n))
    if not low:
        return
    acted = set(
        ResultAction.objects.filter(
            campaign__in={campaign for campaign, _s, _i, _n in low},
            unit__in=[scope.pk for scope in scopes],
        ).values_list("campaign_id", "unit_id")
    )
    for campaign, scope, index, n in low:
        if (campaign.pk, scope.pk) in acted:
            continue
        url = reverse("surveys:results", args=[campaign.pk]) + f"?unit={scope.pk}"
        yield WorkItem(
            LOW_RESULT,
            f"{campaign.title} · {number_format(index, 1)} (n = {n})",
            url,
            unit=scope.label,
        )


def register() -> None:
    register_kind(LOW_RESULT, _("Survey result below the threshold"), order=40)
    register_worklist("surveys", low_results)
    register_action_kinds(*ACTION_KINDS)
