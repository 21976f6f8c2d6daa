"""Campaigns: created as a draft, published (one open link per answering unit), closed."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from ims.access import has_role
from ims.workflow import created, lock, refuse, transition
from surveys.models import MANAGE_ROLES, Campaign, CampaignUnit, InstrumentVersion, SurveyLink
from surveys.selectors import answering_units, units_without_codes
from surveys.services.codes import LINK_CODE_LENGTH, unused_code

if TYPE_CHECKING:
    from ims.models import OrgUnit, User


@transaction.atomic
def campaign_create(
    *,
    actor: User,
    version: InstrumentVersion,
    title: str,
    group: str,
    owner_unit: OrgUnit,
    units: Iterable[OrgUnit],
    opens_on: datetime.date,
    closes_on: datetime.date,
    requires_code: bool = False,
    target_responses: int | None = None,
) -> Campaign:
    """A draft campaign of ``version`` for ``units`` (each within ``owner_unit``)."""
    if not has_role(actor, owner_unit, MANAGE_ROLES):
        refuse(_("You may not do this."))
    if closes_on < opens_on:
        refuse(_("The closing date is before the opening date."), field="closes_on")
    units = list(units)
    if not units:
        refuse(_("Choose at least one unit."), field="units")
    if any(not unit.is_within(owner_unit) for unit in units):
        refuse(_("Every unit must be within the owner unit."), field="units")
    campaign = Campaign.objects.create(
        version=version,
        title=title,
        group=group,
        owner_unit=owner_unit,
        opens_on=opens_on,
        closes_on=closes_on,
        requires_code=requires_code,
        target_responses=target_responses,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    CampaignUnit.objects.bulk_create(CampaignUnit(campaign=campaign, unit=u) for u in units)
    return created(campaign, "create", actor=actor)


@transaction.atomic
def campaign_publish(
    campaign: Campaign, *, actor: User, without_codes_ok: bool = False
) -> Campaign:
    """Publish: one open link (and QR code) per answering unit; answers count from the open date.

    A campaign that needs one-time codes is refused while an answering unit has none (its
    parents could not answer), unless the publisher confirms (``without_codes_ok``).
    """
    campaign = lock(campaign)
    Campaign.workflow.check(campaign, "publish", actor)
    missing = units_without_codes(campaign)
    if missing and not without_codes_ok:
        refuse(
            _(
                "These units have no one-time codes yet, so nobody there could answer: "
                "%(units)s. Create their codes first, or confirm that you publish anyway."
            )
            % {"units": ", ".join(unit.label for unit in missing)}
        )
    for unit in answering_units(campaign):
        if not SurveyLink.objects.filter(campaign=campaign, unit=unit).exists():
            SurveyLink.objects.create(
                campaign=campaign, unit=unit, code=unused_code(LINK_CODE_LENGTH)
            )
    return transition(campaign, "publish", actor=actor, checked=False)


@transaction.atomic
def campaign_close(campaign: Campaign, *, actor: User, reason: str = "") -> Campaign:
    """Close a campaign; every response it accepted is stored and counted when this commits.

    The row lock (``FOR UPDATE``) conflicts with the key-share lock each response's INSERT
    takes on the campaign (its foreign-key check): closing waits for submissions in flight,
    and a submission that comes after finds the campaign closed and stores nothing
    (``response_submit``).
    """
    return transition(lock(campaign), "close", actor=actor, reason=reason)
