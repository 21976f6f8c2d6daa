"""Whose dashboard, over which unit: the user's subtree, drilled down one unit at a time."""

from django.http import Http404

from ims.access import HEAD_ROLES, MANAGER_ROLES
from ims.models import Membership, OrgUnit

# Directors, quality managers, unit heads and principals land on the dashboard.
DASHBOARD_ROLES = frozenset(MANAGER_ROLES | HEAD_ROLES)


def dashboard_roots(user):
    """The top units of ``user``'s dashboard: units where they hold a dashboard role, without
    those already inside another one (one query)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if user.is_superuser:
        units = OrgUnit.objects.filter(parent__isnull=True)
    else:
        units = OrgUnit.objects.filter(
            memberships__in=Membership.objects.active().filter(
                user=user, role__in=list(DASHBOARD_ROLES)
            )
        )
    roots = []
    for unit in units.select_related("kind").distinct().order_by("path"):
        if not any(unit.path.startswith(root.path) for root in roots):
            roots.append(unit)
    return roots


def resolve_scope(roots, unit_id):
    """(scope unit, the root above it). ``unit_id`` outside every root is a 404, like any
    object the user may not see."""
    if not roots:
        raise Http404
    if unit_id in (None, ""):
        return roots[0], roots[0]
    try:
        pk = int(unit_id)
    except (TypeError, ValueError):
        raise Http404 from None
    for root in roots:
        if root.pk == pk:
            return root, root
    unit = OrgUnit.objects.select_related("kind").filter(pk=pk).first()
    if unit is not None:
        for root in roots:
            if unit.path.startswith(root.path):
                return unit, root
    raise Http404
