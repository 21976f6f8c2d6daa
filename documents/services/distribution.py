"""Who a revision is distributed to: units (their whole subtree) and named people."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.utils import bulk_create_with_history

from documents import coverage as coverage_rollup
from documents.models import Confidentiality, Distribution, Revision, RevisionStatus
from ims.models import OrgUnit, User
from ims.workflow import after_commit, lock, refuse, transition

from .notices import notify_later


def _unreadable(revision: Revision, people: Iterable[User]) -> list[User]:
    """Of ``people``, those who may not open ``revision`` when it is published (a restricted
    document's unlisted people)."""
    if revision.document.confidentiality != Confidentiality.RESTRICTED:
        return []
    listed = set(revision.document.restricted_to.values_list("pk", flat=True))
    return [u for u in people if u.pk not in listed]


@transaction.atomic
def distribution_add(
    revision: Revision,
    *,
    actor: User,
    units: Iterable[OrgUnit] = (),
    users: Iterable[User] = (),
) -> list[Distribution]:
    """Add ``units`` and ``users`` (the people it goes to) to the distribution list; returns
    the entries added (those already on the list are skipped)."""
    revision = lock(revision, "document")
    if not revision.can_distribute(actor):
        refuse(Revision.workflow["distribute"].denied)
    units, users = list(units), list(users)
    if not units and not users:
        refuse(_("Choose at least one unit or person."))
    unreadable = _unreadable(revision, users)
    if unreadable:
        refuse(
            _(
                "This document is restricted and these people are not among its readers: "
                "%(names)s. Add them to its readers first."
            )
            % {"names": ", ".join(u.display_name for u in unreadable)}
        )
    existing_units = set(revision.distributions.values_list("unit_id", flat=True))
    existing_users = set(revision.distributions.values_list("user_id", flat=True))
    added = [
        Distribution(revision=revision, unit=u, created_by=actor)
        for u in units
        if u.pk not in existing_units
    ] + [
        Distribution(revision=revision, user=u, created_by=actor)
        for u in users
        if u.pk not in existing_users
    ]
    bulk_create_with_history(added, Distribution, default_user=actor)
    transition(
        revision,
        "distribute",
        actor=actor,
        reason=", ".join(str(d) for d in added),
        checked=False,
        save=False,
    )
    if revision.status == RevisionStatus.EFFECTIVE and added:
        after_commit(notify_later, revision.pk)
        coverage_rollup.schedule(revision_ids=[revision.pk])
    return added


@transaction.atomic
def distribution_remove(distribution: Distribution, *, actor: User) -> Distribution:
    """End an entry of the distribution list (never deleted: it stays in the history)."""
    revision = lock(distribution.revision, "document")
    if not revision.can_distribute(actor):
        refuse(Revision.workflow["undistribute"].denied)
    current = Distribution.objects.select_for_update().filter(pk=distribution.pk).order_by().first()
    if current is None:
        refuse(_("This entry was already removed from the distribution list."))
    transition(
        revision, "undistribute", actor=actor, reason=str(current), checked=False, save=False
    )
    current.ended_at, current.ended_by = timezone.now(), actor
    current._history_user = actor  # type: ignore[attr-defined]  # read by simple-history
    current.save(update_fields=["ended_at", "ended_by"])
    if revision.status == RevisionStatus.EFFECTIVE:
        coverage_rollup.schedule(revision_ids=[revision.pk])
    return current
