"""The audit programme: planned by a director or quality manager, changed while a draft,
approved once with a director's signature."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audits.models import AuditProgramme
from ims.models import Signature
from ims.workflow import lock, refuse, signed_step, transition

if TYPE_CHECKING:
    from django.http import HttpRequest

    from ims.models import User


def programme_create(*, actor: User, values: Mapping[str, Any]) -> AuditProgramme:
    """A new draft programme for a unit the actor manages; they are its manager (``owner``)."""
    programme = AuditProgramme(**values, owner=actor)
    if not programme.is_manager(actor):
        refuse(_("Only directors and quality managers do this."))
    programme.save()
    return programme


def programme_update(
    programme: AuditProgramme, *, actor: User, values: Mapping[str, Any]
) -> AuditProgramme:
    """Change a draft programme (an approved one's signature would no longer hold)."""
    with transaction.atomic():
        programme = lock(programme)
        if not programme.can_edit(actor):
            refuse(_("Only a draft programme can be changed."))
        for name, value in values.items():
            setattr(programme, name, value)
        programme.save()
    return programme


def programme_approve(
    programme: AuditProgramme,
    *,
    actor: User,
    password: str,
    comment: str = "",
    request: HttpRequest | None = None,
) -> AuditProgramme:
    """Approve an audit programme with the approver's electronic signature."""

    def check(locked: AuditProgramme) -> None:
        if locked.status != AuditProgramme.Status.DRAFT:
            refuse(_("This programme is already approved."))
        if actor.pk == locked.owner_id:
            refuse(_("The programme manager cannot approve their own programme."))
        if not locked.can_approve(actor):
            refuse(_("Only a director approves the audit programme."))

    def apply(locked: AuditProgramme, signature: Signature) -> AuditProgramme:
        locked.approved_at = timezone.now()
        return transition(
            locked,
            "programme_approve",
            actor=actor,
            reason=comment,
            fields=("approved_at",),
            checked=False,
        )

    return signed_step(
        programme,
        actor=actor,
        password=password,
        meaning=Signature.Meaning.APPROVED,
        check=check,
        apply=apply,
        comment=comment,
        request=request,
    )
