"""Read-only queries of the surveys app that services and views share."""

from __future__ import annotations

from ims.models import OrgUnit
from surveys.models import Campaign, OneTimeCode


def answering_units(campaign: Campaign) -> list[OrgUnit]:
    """The units that get a link: each school in the targets' subtrees, else the target itself."""
    units = {}
    targets = OrgUnit.objects.filter(pk__in=campaign.targets.values("unit"))
    for target in targets:
        schools = list(
            OrgUnit.objects.subtree_of(target).filter(kind__is_school=True, is_active=True)
        )
        for unit in schools or [target]:
            units[unit.pk] = unit
    return sorted(units.values(), key=lambda u: u.path)


def units_without_codes(campaign: Campaign) -> list[OrgUnit]:
    """The answering units of a campaign that needs one-time codes and that have none."""
    if not campaign.requires_code:
        return []
    with_codes = set(
        OneTimeCode.objects.filter(campaign=campaign).values_list("unit", flat=True).distinct()
    )
    return [unit for unit in answering_units(campaign) if unit.pk not in with_codes]
