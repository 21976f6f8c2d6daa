"""What follows from the results: a nonconformity raised from a low result, and the recorded
permission to read a campaign's free-text answers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ims.access import has_role
from ims.workflow import lock, refuse, transition
from surveys.models import MANAGE_ROLES, Area, Campaign, FreeTextGrant, ResultAction
from surveys.results import campaign_results

if TYPE_CHECKING:
    from ims.models import OrgUnit, User
    from nonconformities.models import Nonconformity


def result_raise(
    campaign: Campaign, *, actor: User, unit: OrgUnit, area: Area | None = None, kind: str
) -> Nonconformity:
    """Raise a nonconformity or improvement opportunity from a result of ``unit`` below the
    threshold, overall or for ``area`` (idempotent per campaign, unit and area), through the
    nonconformities service. A result at or above the threshold, or hidden, is refused."""
    from nonconformities.services import nonconformity_raise

    if not has_role(actor, unit, MANAGE_ROLES):
        refuse(_("You may not do this."))
    data = campaign_results(campaign, unit)
    if area is None:
        index, n, low = data.index, data.n, data.is_low
        subject = _("overall satisfaction")
    else:
        row = next((r for r in data.areas if r.area == area), None)
        low = row is not None and row in data.low_areas
        index, n = (row.index, row.n) if row else (None, 0)
        subject = area.label
    if not low or index is None:
        refuse(_("Only a result below the threshold can raise a nonconformity from here."))
    title = _("Low satisfaction (%(subject)s): %(unit)s, %(campaign)s") % {
        "subject": subject,
        "unit": unit.label,
        "campaign": campaign.title,
    }
    description = _(
        "Survey “%(campaign)s” (%(group)s): the satisfaction index for %(subject)s at %(unit)s is "
        "%(index).1f (n = %(n)d), below the threshold of %(threshold)s."
    ) % {
        "campaign": campaign.title,
        "group": campaign.get_group_display(),
        "subject": subject,
        "unit": unit.label,
        "index": index,
        "n": n,
        "threshold": data.threshold,
    }
    with transaction.atomic():
        lookup = {"campaign": campaign, "unit": unit, "area": area}
        action = ResultAction.objects.filter(**lookup).first()
        if action is None:
            try:
                with transaction.atomic():
                    action = ResultAction.objects.create(
                        **lookup, index=round(index, 1), n=n, raised_by=actor
                    )
            except IntegrityError:
                action = ResultAction.objects.get(**lookup)
        nc = nonconformity_raise(
            actor=actor,
            unit=unit,
            title=title[:200],
            description=description,
            source="survey",
            kind=kind,
            source_object=action,
        )
        transition(
            campaign,
            "raise_nc",
            actor=actor,
            reason=f"{nc} · {unit.code}" + (f" · {area.code}" if area else ""),
            unit=unit,
            checked=False,
            save=False,
        )
    return nc


@transaction.atomic
def free_text_grant(campaign: Campaign, *, actor: User, person: User, reason: str) -> FreeTextGrant:
    """Let ``person`` read ``campaign``'s free-text answers (comments, the raw export's text
    columns). Given by someone who manages the campaign, with a reason, never to oneself, only
    to someone who may read the campaign's results."""
    campaign = lock(campaign)
    Campaign.workflow.check(campaign, "free_text_grant", actor)
    reason = (reason or "").strip()
    if not reason:
        refuse(_("Give the reason for this permission."), field="reason")
    if person.pk == actor.pk:
        refuse(
            _("Nobody can give themselves this permission: ask another manager."), field="person"
        )
    if not campaign.result_readers().people().filter(pk=person.pk).exists():
        refuse(_("This person cannot read this campaign's results."), field="person")
    if FreeTextGrant.objects.active().filter(campaign=campaign, person=person).exists():
        refuse(_("This person already has this permission."), field="person")
    grant = FreeTextGrant.objects.create(
        campaign=campaign, person=person, reason=reason, granted_by=actor
    )
    transition(
        campaign,
        "free_text_grant",
        actor=actor,
        reason=f"{person.display_name}: {reason}",
        checked=False,
        save=False,
    )
    return grant


@transaction.atomic
def free_text_revoke(grant: FreeTextGrant, *, actor: User) -> FreeTextGrant:
    """Withdraw a free-text permission; the grant stays on record, marked revoked."""
    grant = (
        FreeTextGrant.objects.select_for_update(of=("self",))
        .select_related("campaign", "person")
        .get(pk=grant.pk)
    )
    campaign = grant.campaign
    Campaign.workflow.check(campaign, "free_text_revoke", actor)
    if grant.revoked_at is not None:
        refuse(_("This permission was already withdrawn."))
    grant.revoked_at = timezone.now()
    grant.revoked_by = actor
    grant.save(update_fields=["revoked_at", "revoked_by"])
    transition(
        campaign,
        "free_text_revoke",
        actor=actor,
        reason=grant.person.display_name,
        checked=False,
        save=False,
    )
    return grant
