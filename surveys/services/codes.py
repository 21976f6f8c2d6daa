"""Codes: the open links' codes and the one-time codes printed on slips (Crockford base32), how
a typed code is read, and the service that makes a unit's one-time codes."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from ims.access import has_role
from ims.workflow import lock, refuse, transition
from surveys.models import MANAGE_ROLES, Campaign, OneTimeCode, SurveyLink
from surveys.selectors import answering_units

if TYPE_CHECKING:
    from ims.models import OrgUnit, User

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CROCKFORD_FIX = str.maketrans({"I": "1", "L": "1", "O": "0"})
ONE_TIME_CODE_LENGTH = 10
LINK_CODE_LENGTH = 8
MAX_CODES_PER_BATCH = 2000


def new_code(length: int) -> str:
    return "".join(secrets.choice(CROCKFORD) for _ in range(length))


def normalize_code(raw: str | None) -> str:
    """A typed or scanned code in canonical form: upper case, no spaces or dashes, I/L→1, O→0."""
    return plain_code(raw).translate(_CROCKFORD_FIX)


def plain_code(raw: str | None) -> str:
    """Upper case, without spaces or dashes (a fixed code such as ``DEMO2026`` keeps its O)."""
    return "".join(ch for ch in (raw or "").upper() if ch not in " -\t")


def code_candidates(raw: str | None) -> list[str]:
    """The codes a typed ``raw`` may mean: as typed, then with Crockford's confusables fixed."""
    return list(dict.fromkeys([plain_code(raw), normalize_code(raw)]))


def unused_code(length: int) -> str:
    """A fresh code that no link and no one-time code has."""
    while True:
        code = new_code(length)
        if not (
            SurveyLink.objects.filter(code=code).exists()
            or OneTimeCode.objects.filter(code=code).exists()
        ):
            return code


@transaction.atomic
def codes_generate(campaign: Campaign, *, actor: User, unit: OrgUnit, count: int) -> list[str]:
    """``count`` new one-time codes for ``unit`` (Crockford base32, 10 characters), returned
    once, to be printed at once: no page lists a unit's codes later (two printouts would show
    which codes were used in between)."""
    campaign = lock(campaign)
    if not has_role(actor, unit, MANAGE_ROLES):
        refuse(_("You may not do this."))
    if campaign.status == Campaign.Status.CLOSED:
        refuse(_("This campaign is closed."))
    if not 1 <= count <= MAX_CODES_PER_BATCH:
        refuse(_("Give a number of codes from 1 to %(max)d.") % {"max": MAX_CODES_PER_BATCH})
    if unit.pk not in {u.pk for u in answering_units(campaign)}:
        refuse(_("This unit does not answer this campaign."))
    codes: set[str] = set()
    while len(codes) < count:
        fresh = {new_code(ONE_TIME_CODE_LENGTH) for _ in range(count - len(codes))} - codes
        fresh -= set(OneTimeCode.objects.filter(code__in=fresh).values_list("code", flat=True))
        fresh -= set(SurveyLink.objects.filter(code__in=fresh).values_list("code", flat=True))
        codes |= fresh
    issued = sorted(codes)
    OneTimeCode.objects.bulk_create(
        OneTimeCode(campaign=campaign, unit=unit, code=code) for code in issued
    )
    transition(
        campaign,
        "codes",
        actor=actor,
        reason=f"{len(issued)} × {unit.code}",
        unit=unit,
        checked=False,
        save=False,
    )
    return issued
