"""Read-only queries shared by pages, services and the task list: who a revision reaches, whom a
viewer manages, and the acknowledgement coverage they may see."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from ims.models import Membership, OrgUnit, User

from . import coverage as coverage_rollup
from .models import (
    Acknowledgement,
    Confidentiality,
    Distribution,
    Document,
    Opening,
    Revision,
    RevisionStatus,
    recipient_condition,
)


def revisions_to_acknowledge(user: User) -> QuerySet[Revision]:
    """Effective revisions distributed to ``user`` that they may open and have not yet
    acknowledged (the "To acknowledge" page and the task list). ``opened``: whether they have
    opened it yet (acknowledging needs it)."""
    acknowledged = Acknowledgement.objects.filter(revision=OuterRef("pk"), user=user)
    opened = Opening.objects.filter(revision=OuterRef("pk"), user=user)
    return (
        Revision.objects.filter(status=RevisionStatus.EFFECTIVE)
        .for_user(user)
        .filter(recipient_condition(user))
        .exclude(Exists(acknowledged))
        .annotate(opened=Exists(opened))
        .select_related("document", "document__owner_unit")
        .order_by("-effective_date", "document__code")
    )


def recipients(revision: Revision) -> QuerySet[User]:
    """Active users on ``revision``'s current distribution (named, or in a distributed unit's
    subtree) who may open it: a restricted document reaches only its listed readers, so
    nobody is asked to acknowledge a document they cannot open."""
    units = revision.distributions.filter(unit__isnull=False).values_list("unit__path", flat=True)
    condition = Q(pk__in=revision.distributions.filter(user__isnull=False).values("user_id"))
    for path in units:
        condition |= Q(
            Exists(
                Membership.objects.active().filter(user=OuterRef("pk"), unit__path__startswith=path)
            )
        )
    people = User.objects.filter(is_active=True).filter(condition)
    if revision.document.confidentiality == Confidentiality.RESTRICTED:
        people = people.filter(
            pk__in=Document.restricted_to.through.objects.filter(
                document_id=revision.document_id
            ).values("user_id")
        )
    return people.order_by("full_name", "username")


def managed_paths(viewer: User) -> list[str]:
    """Tree paths of the units whose people ``viewer`` manages: where they are a head, a
    principal or a manager (each covers its subtree). Coverage names only these people."""
    from ims.access import HEAD_ROLES, MANAGER_ROLES

    if viewer.is_superuser:
        return [""]
    return list(
        Membership.objects.active()
        .filter(user=viewer, role__in=list(HEAD_ROLES | MANAGER_ROLES))
        .values_list("unit__path", flat=True)
    )


def _managed(person: User, paths: Iterable[str]) -> bool:
    """``person`` (memberships with units loaded) has an active membership under ``paths``."""
    return any(
        m.is_active and m.unit.path.startswith(path)
        for m in person.memberships.all()
        for path in paths
    )


def _missing(
    people: Iterable[User], done: set[int], paths: Iterable[str]
) -> tuple[list[User], int]:
    """(names the viewer may see, how many others) among ``people`` who have not acknowledged."""
    missing = [p for p in people if p.pk not in done]
    shown = [p for p in missing if _managed(p, paths)]
    return shown, len(missing) - len(shown)


def coverage(revision: Revision, *, viewer: User) -> dict[str, Any]:
    """Acknowledgement coverage of ``revision``: overall and per distributed unit.

    Returns ``{"total", "done", "percent", "missing": [users], "hidden", "units": [{unit,
    total, done, percent, missing, hidden}]}``. ``missing`` names only people ``viewer``
    manages (``managed_paths``); ``hidden`` counts the others not yet acknowledged.
    """
    people = list(recipients(revision).prefetch_related("memberships__unit"))
    done = set(revision.acknowledgements.values_list("user_id", flat=True))
    paths = managed_paths(viewer)

    def summary(group: list[User]) -> dict[str, Any]:
        total = len(group)
        acknowledged = sum(1 for u in group if u.pk in done)
        missing, hidden = _missing(group, done, paths)
        return {
            "total": total,
            "done": acknowledged,
            "percent": round(100 * acknowledged / total) if total else 0,
            "missing": missing,
            "hidden": hidden,
        }

    result = summary(people)
    units = []
    for distribution in revision.distributions.filter(unit__isnull=False).select_related("unit"):
        assert distribution.unit is not None  # filtered on
        path = distribution.unit.path
        group = [
            u
            for u in people
            if any(m.is_active and m.unit.path.startswith(path) for m in u.memberships.all())
        ]
        units.append({"unit": distribution.unit, **summary(group)})
    result["units"] = units
    return result


def unit_coverage(unit: OrgUnit, *, viewer: User) -> list[dict[str, Any]]:
    """For each effective revision (visible to ``viewer``) that reaches people whose home unit
    lies in ``unit``'s subtree: ``{revision, total, done, percent, missing, hidden}`` over those
    people. A person counts once, at their home unit (``documents.coverage`` has the definition,
    which the dashboard's coverage shares). ``missing`` names only people ``viewer`` manages;
    ``hidden`` counts the others."""
    members = [
        person
        for person in User.objects.filter(is_active=True)
        .filter(
            pk__in=Membership.objects.active()
            .filter(unit__path__startswith=unit.path)
            .values("user_id")
        )
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.active().select_related("unit"),
            )
        )
        .order_by("full_name", "username")
        if coverage_rollup.home_of(person.memberships.all()).path.startswith(unit.path)
    ]
    member_ids = [m.pk for m in members]
    # Units whose distribution reaches a member: those at or above any of their memberships.
    reaching_paths = {
        path for m in members for ms in m.memberships.all() for path in ms.unit.ancestor_paths()
    }
    revisions = (
        Revision.objects.for_user(viewer)
        .filter(status=RevisionStatus.EFFECTIVE)
        .filter(
            Q(
                distributions__unit__path__in=sorted(reaching_paths),
                distributions__ended_at__isnull=True,
            )
            | Q(distributions__user__in=member_ids, distributions__ended_at__isnull=True)
        )
        .distinct()
        .select_related("document")
        .prefetch_related(
            Prefetch("distributions", queryset=Distribution.objects.select_related("unit"))
        )
        .order_by("document__code")
    )
    revisions = list(revisions)
    done = set(
        Acknowledgement.objects.filter(revision__in=revisions, user__in=member_ids).values_list(
            "revision_id", "user_id"
        )
    )
    # A restricted document reaches only its listed readers.
    readers: dict[int, set[int]] = {}
    for document_id, user_id in Document.restricted_to.through.objects.filter(
        document__in=[
            r.document_id
            for r in revisions
            if r.document.confidentiality == Confidentiality.RESTRICTED
        ]
    ).values_list("document_id", "user_id"):
        readers.setdefault(document_id, set()).add(user_id)
    paths = managed_paths(viewer)
    rows = []
    for revision in revisions:
        reached = [
            m
            for m in members
            if _reaches(revision.distributions.all(), m)
            and (
                revision.document.confidentiality != Confidentiality.RESTRICTED
                or m.pk in readers.get(revision.document_id, ())
            )
        ]
        if not reached:
            continue
        acknowledged = {m.pk for m in reached if (revision.pk, m.pk) in done}
        missing, hidden = _missing(reached, acknowledged, paths)
        rows.append(
            {
                "revision": revision,
                "total": len(reached),
                "done": len(acknowledged),
                "percent": round(100 * len(acknowledged) / len(reached)),
                "missing": missing,
                "hidden": hidden,
            }
        )
    return rows


def _reaches(distributions: Iterable[Distribution], user: User) -> bool:
    paths = [m.unit.path for m in user.memberships.all()]
    return any(
        d.user_id == user.pk
        or (d.unit is not None and any(p.startswith(d.unit.path) for p in paths))
        for d in distributions
    )
