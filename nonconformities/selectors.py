"""Read-only queries: "your items" on the register and the task list, and what still stands
between an NC and its closure."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import CorrectiveAction, Nonconformity, Verification

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from ims.models import User


def open_actions_of(user: User) -> QuerySet[CorrectiveAction]:
    """Corrective actions ``user`` owns that are still to do in a running loop."""
    return (
        CorrectiveAction.objects.filter(
            owner=user,
            status=CorrectiveAction.Status.OPEN,
            nonconformity__status=Nonconformity.Status.IN_ACTION,
        )
        .select_related("nonconformity", "nonconformity__unit")
        .order_by("due", "pk")
    )


def verifications_of(user: User) -> QuerySet[Nonconformity]:
    """NCs awaiting the effectiveness check that ``user`` is planned to do."""
    return (
        Nonconformity.objects.for_user(user)
        .filter(planned_verifier=user, status=Nonconformity.Status.AWAITING_VERIFICATION)
        .select_related("unit")
        .order_by("verification_due", "pk")
    )


def closure_problems(nc: Nonconformity) -> list[StrOrPromise]:
    """What still stands between ``nc`` and closure (empty when it may close).

    Read from the actions and verifications themselves, not from the counters copied onto
    the NC: every action finished, one completed in this round, and this round's
    verification on record as effective.
    """
    problems: list[StrOrPromise] = []
    if not nc.root_cause.strip():
        problems.append(_("There is no root cause."))
    actions = CorrectiveAction.objects.filter(nonconformity=nc)
    still_open = actions.filter(status=CorrectiveAction.Status.OPEN).count()
    if still_open:
        problems.append(
            ngettext(
                "%(n)d corrective action is still open.",
                "%(n)d corrective actions are still open.",
                still_open,
            )
            % {"n": still_open}
        )
    if not actions.filter(round=nc.round, status=CorrectiveAction.Status.DONE).exists():
        problems.append(_("No corrective action has been completed."))
    effective = Verification.objects.filter(
        nonconformity=nc, round=nc.round, result=Nonconformity.Result.EFFECTIVE
    ).exists()
    if not effective or nc.verification_result != Nonconformity.Result.EFFECTIVE:
        problems.append(_("The actions have not been verified as effective."))
    return problems
