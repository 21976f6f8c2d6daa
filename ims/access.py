"""The single access layer: what a user may see and do.

Every view in every module finds objects through a model's ``QuerySet.for_user(user)`` and
``get_object_for_user``; an object the user may not see is a 404, never a hint that it exists.
Visibility is one SQL condition on the unit tree path (a membership at a unit covers its whole
subtree), plus django-guardian grants for the rare per-object exceptions.
"""

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models.expressions import Combinable
from django.db.models.functions import Cast
from django.http import Http404
from guardian.models import UserObjectPermission
from guardian.shortcuts import assign_perm, remove_perm

from ims.models.org import Membership, OrgUnit, Role

if TYPE_CHECKING:
    from ims.models.users import User

# Who is asking: a person signed in, or not (``request.user``).
type AnyUser = User | AnonymousUser

# Roles that see and manage everything in their subtree, in every module.
MANAGER_ROLES = frozenset({Role.DIRECTOR, Role.QUALITY_MANAGER})
# Roles that run their own unit (process owners).
HEAD_ROLES = frozenset({Role.UNIT_HEAD, Role.PRINCIPAL})
AUDITOR_ROLES = frozenset({Role.AUDITOR, Role.LEAD_AUDITOR})


def units_visible_to(user: AnyUser, roles: Iterable[str] | None = None) -> models.QuerySet[OrgUnit]:
    """Units in the subtree of any active membership of ``user`` (optionally with ``roles``).

    A single query: each unit row is kept when a membership's unit path is a prefix of its path.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return OrgUnit.objects.none()
    if user.is_superuser:
        return OrgUnit.objects.all()
    memberships = (
        Membership.objects.active().filter(user=user).covering_outer(models.OuterRef("path"))
    )
    if roles is not None:
        memberships = memberships.filter(role__in=list(roles))
    condition: models.Q | Combinable = models.Exists(memberships)
    if roles is None:
        condition |= models.Exists(_grants(user, "ims.view_orgunit", OrgUnit))
    return OrgUnit.objects.filter(condition)


def has_role(user: AnyUser, unit: OrgUnit, roles: Iterable[str]) -> bool:
    """True when ``user`` holds one of ``roles`` at ``unit`` or at a unit above it."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return (
        Membership.objects.active().filter(user=user, role__in=list(roles)).covering(unit).exists()
    )


def belongs_to(user: AnyUser, unit: OrgUnit) -> bool:
    """True while ``user`` holds an active membership at ``unit``, above it or below it: what
    a named responsibility for something of ``unit`` (a document's owner) needs to last."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return (
        Membership.objects.active()
        .filter(user=user)
        .filter(
            models.Q(unit__path__startswith=unit.path)
            | models.Q(unit__path__in=unit.ancestor_paths())
        )
        .exists()
    )


def roles_for(user: AnyUser, unit: OrgUnit) -> set[str]:
    """The set of roles ``user`` holds at ``unit`` or above it."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    if user.is_superuser:
        return set(Role.values)
    return set(
        Membership.objects.active().filter(user=user).covering(unit).values_list("role", flat=True)
    )


def member_roles(user: AnyUser) -> set[str]:
    """Every role the user holds anywhere (for menus; never for an object-level decision)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    if user.is_superuser:
        return set(Role.values)
    cached = getattr(user, "_ims_member_roles", None)
    if cached is None:
        cached = set(Membership.objects.active().filter(user=user).values_list("role", flat=True))
        user._ims_member_roles = cached  # type: ignore[union-attr]
    return cached


def manager_paths(user: AnyUser) -> list[str]:
    """Tree paths of the units where ``user`` holds a manager role (covering all below)."""
    return list(
        Membership.objects.active()
        .filter(user=user, role__in=list(MANAGER_ROLES))
        .values_list("unit__path", flat=True)
    )


def may_manage_account(
    user: AnyUser,
    person: "User",
    memberships: Iterable[Membership] | None = None,
    paths: Iterable[str] | None = None,
) -> bool:
    """Whether ``user`` may change ``person``'s account (deactivate, rename, add roles).

    Only where ``user`` manages every unit ``person`` belongs to, and from strictly above where
    ``person`` is a manager there too: a manager never changes a peer, a superior, a colleague
    who also works elsewhere, an administrator or themselves. ``memberships`` (active, with
    units) and ``paths`` (``manager_paths(user)``) may be passed in to save queries.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if person.pk == user.pk:
        return False
    if user.is_superuser:
        return True
    if person.is_staff or person.is_superuser:
        return False
    if memberships is None:
        memberships = person.memberships.filter(is_active=True).select_related("unit")
    paths = manager_paths(user) if paths is None else paths

    memberships = list(memberships)
    return bool(memberships) and all(may_assign_role(m.unit, m.role, paths) for m in memberships)


def may_assign_role(unit: OrgUnit, role: str, paths: Iterable[str]) -> bool:
    """Whether a manager with units at ``paths`` may give ``role`` at ``unit``.

    Manager roles only from strictly above, so nobody creates a peer or a superior.
    """
    above_only = role in MANAGER_ROLES
    return any(
        unit.path.startswith(path) and not (above_only and unit.path == path) for path in paths
    )


def get_object_for_user[M: models.Model](
    model_or_queryset: type[M] | models.QuerySet[M], user: AnyUser, **lookup: Any
) -> M:
    """The object matching ``lookup`` among those ``user`` may see, or 404."""
    queryset: Any = model_or_queryset
    if isinstance(model_or_queryset, type) and issubclass(model_or_queryset, models.Model):
        queryset = model_or_queryset._default_manager.all()
    try:
        return queryset.for_user(user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def require(allowed: object, message: str | None = None) -> None:
    """Raise 403 unless ``allowed``: for actions on an object the user may already see."""
    if not allowed:
        raise PermissionDenied(message)


# --- per-object grants (django-guardian) ------------------------------------------------------


def grant(user: "User", perm: str, obj: models.Model) -> None:
    assign_perm(perm, user, obj)


def revoke(user: "User", perm: str, obj: models.Model) -> None:
    remove_perm(perm, user, obj)


def _grants(
    user: "User", perm: str, model: type[models.Model], outer: str = "pk"
) -> models.QuerySet[UserObjectPermission]:
    app_label, codename = perm.split(".", 1)
    return UserObjectPermission.objects.filter(
        user=user,
        permission__codename=codename,
        permission__content_type__app_label=app_label,
        content_type=ContentType.objects.get_for_model(model),
        object_pk=Cast(models.OuterRef(outer), models.CharField()),
    )


def granted(user: "User", perm: str, model: type[models.Model], outer: str = "pk") -> models.Exists:
    """An ``Exists`` condition: ``user`` holds ``perm`` on the outer row through guardian."""
    return models.Exists(_grants(user, perm, model, outer))


class UnitScopedQuerySet(models.QuerySet):
    """A QuerySet whose rows belong to a unit: visible to members of the unit or above."""

    unit_field = "unit"

    def for_user(self, user: AnyUser) -> "UnitScopedQuerySet":
        return self.filter(**{f"{self.unit_field}__in": units_visible_to(user)})
