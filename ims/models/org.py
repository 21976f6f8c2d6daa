"""The organisation tree (any depth) and who holds which role where."""

from typing import TYPE_CHECKING, Any, Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.functions import Concat, Length, Substr
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ims.models.i18n import localized
from ims.search import SearchTextField, fold_join

if TYPE_CHECKING:
    from ims.access import AnyUser

PATH_SEGMENT_WIDTH = 8


def path_segment(pk: int) -> str:
    return f"{pk:0{PATH_SEGMENT_WIDTH}d}/"


def ancestor_paths(path: str) -> list[str]:
    """The tree paths of the unit at ``path`` and of every unit above it, root first."""
    segments = [s for s in path.split("/") if s]
    return ["".join(f"{s}/" for s in segments[: i + 1]) for i in range(len(segments))]


class LocalizedLookup(models.Model):
    """A small list kept as data (a code and a name in each language)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    name_lo = models.CharField(_("name (Lao)"), max_length=100, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return localized(self, "name")


class UnitKind(LocalizedLookup):
    """A kind of unit (department, division, commune, school, ...): data, not code."""

    is_school = models.BooleanField(_("is a school"), default=False)

    history = HistoricalRecords()

    class Meta(LocalizedLookup.Meta):
        verbose_name = _("unit kind")
        verbose_name_plural = _("unit kinds")


class SchoolLevel(LocalizedLookup):
    history = HistoricalRecords()

    class Meta(LocalizedLookup.Meta):
        verbose_name = _("school level")
        verbose_name_plural = _("school levels")


class OrgUnitQuerySet(models.QuerySet):
    def subtree_of(self, unit: "OrgUnit") -> Self:
        """The unit and everything below it, in one indexed prefix query."""
        return self.filter(path__startswith=unit.path)

    def ancestors_of(self, unit: "OrgUnit") -> Self:
        return self.filter(path__in=unit.ancestor_paths()).order_by("depth")

    def for_user(self, user: "AnyUser") -> Self:
        from ims.access import units_visible_to

        return self.filter(pk__in=units_visible_to(user).values("pk"))


class OrgUnit(models.Model):
    kind = models.ForeignKey(UnitKind, on_delete=models.PROTECT, verbose_name=_("kind"))
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent unit"),
    )
    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    levels = models.ManyToManyField(
        SchoolLevel, blank=True, related_name="units", verbose_name=_("school levels")
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    search_text = SearchTextField()
    # Materialised path of zero-padded ids, e.g. "00000001/00000007/": a subtree is one
    # prefix query on an indexed column, at any depth.
    path = models.CharField(max_length=255, unique=True, editable=False, db_index=True)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)

    objects = OrgUnitQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["path", "depth", "search_text"])

    class Meta:
        ordering = ["path"]
        verbose_name = _("organisation unit")
        verbose_name_plural = _("organisation units")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("pk")), name="ims_orgunit_not_own_parent"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return localized(self, "name")

    def ancestor_paths(self) -> list[str]:
        return ancestor_paths(self.path)

    def is_within(self, other: "OrgUnit") -> bool:
        """True when this unit is ``other`` or below it."""
        return self.path.startswith(other.path)

    def clean(self) -> None:
        if self.parent_id and self.pk:
            parent = self.parent
            if parent is not None and parent.path.startswith(self.path or "\0"):
                raise ValidationError({"parent": _("A unit cannot be placed under itself.")})

    @transaction.atomic
    def save(self, *args: Any, **kwargs: Any) -> None:
        # Paths are read from the database under row locks, never from possibly stale objects:
        # two moves at once must not write a path built on an old parent path.
        locked = OrgUnit.objects.select_for_update()
        old_path = (
            locked.filter(pk=self.pk).values_list("path", flat=True).first() if self.pk else None
        )
        parent_path = (
            locked.filter(pk=self.parent_id).values_list("path", flat=True).get()
            if self.parent_id
            else ""
        )
        if old_path and parent_path.startswith(old_path):
            raise ValidationError(_("A unit cannot be placed under itself."))
        if not self.pk:
            self.path = f"tmp-{id(self)}"
            super().save(*args, **kwargs)
            kwargs.pop("force_insert", None)
            kwargs["update_fields"] = None
        self.path = parent_path + path_segment(self.pk)
        self.depth = self.path.count("/") - 1
        self.search_text = fold_join(self.code, self.name, self.name_en)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "path", "depth", "search_text"}
        super().save(*args, **kwargs)
        if old_path and old_path != self.path:
            self._move_descendants(old_path)

    def _move_descendants(self, old_path: str) -> None:
        depth_change = self.path.count("/") - old_path.count("/")
        OrgUnit.objects.filter(path__startswith=old_path).exclude(pk=self.pk).update(
            path=Concat(models.Value(self.path), Substr("path", len(old_path) + 1)),
            depth=models.F("depth") + depth_change,
        )


class Role(models.TextChoices):
    DIRECTOR = "director", _("Director")
    QUALITY_MANAGER = "quality_manager", _("Quality manager (ISO representative)")
    UNIT_HEAD = "unit_head", _("Unit head")
    STAFF = "staff", _("Staff")
    AUDITOR = "auditor", _("Internal auditor")
    LEAD_AUDITOR = "lead_auditor", _("Lead auditor")
    PRINCIPAL = "principal", _("Principal")
    VIEWER = "viewer", _("Viewer (read only)")


class MembershipQuerySet(models.QuerySet):
    def active(self) -> Self:
        return self.filter(is_active=True, user__is_active=True)

    def covering(self, unit: "OrgUnit") -> Self:
        """Memberships held at ``unit`` or at any unit above it."""
        return self.filter(unit__path__in=unit.ancestor_paths())

    def covering_outer(self, path_ref: Any) -> Self:
        """Memberships whose unit is an ancestor-or-self of the path in ``path_ref`` (SQL)."""
        return self.filter(unit__path=Substr(path_ref, 1, Length("unit__path")))


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="memberships",
        verbose_name=_("user"),
    )
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("unit")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    title = models.CharField(_("job title"), max_length=120, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["unit__path", "role"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "unit", "role"], name="ims_membership_unique_role"
            ),
        ]
        indexes = [models.Index(fields=["user", "is_active"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.unit}"
