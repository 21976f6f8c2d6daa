"""Criteria sets (standards, national accreditation criteria) and their clauses, as data."""

import re
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ims.models.i18n import localized


def clause_sort_key(number: str) -> str:
    """``"7.1.5"`` -> ``"0007.0001.0005"`` so clauses sort naturally; letters sort after digits."""
    parts = []
    for part in number.replace("-", ".").split("."):
        parts.append(part.zfill(4) if part.isdigit() else part.rjust(4, "~"))
    return ".".join(parts)


class CriteriaSet(models.Model):
    class Kind(models.TextChoices):
        STANDARD = "standard", _("Management system standard")
        NATIONAL = "national", _("National accreditation criteria")
        INTERNAL = "internal", _("Internal criteria")

    code = models.SlugField(_("code"), max_length=60, unique=True)
    title = models.CharField(_("title"), max_length=255)
    title_en = models.CharField(_("title (English)"), max_length=255, blank=True)
    title_lo = models.CharField(_("title (Lao)"), max_length=255, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.STANDARD)
    edition = models.CharField(_("edition"), max_length=40)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("criteria set")
        verbose_name_plural = _("criteria sets")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_from__isnull=True)
                | models.Q(valid_until__gte=models.F("valid_from")),
                name="ims_criteriaset_valid_range",
            )
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return localized(self, "title")

    @property
    def short_name(self) -> str:
        """The set as people write it: "ISO 9001:2015" for the code "iso-9001-2015"."""
        match = re.fullmatch(r"([a-z]+)-(\d+)-(\d{4})", self.code)
        if match:
            return f"{match[1].upper()} {match[2]}:{match[3]}"
        return self.code.upper().replace("-", " ")


class Clause(models.Model):
    criteria_set = models.ForeignKey(
        CriteriaSet,
        on_delete=models.PROTECT,
        related_name="clauses",
        verbose_name=_("criteria set"),
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    number = models.CharField(_("number"), max_length=30)
    title = models.CharField(_("title"), max_length=255)
    title_en = models.CharField(_("title (English)"), max_length=255, blank=True)
    title_lo = models.CharField(_("title (Lao)"), max_length=255, blank=True)
    sort_key = models.CharField(max_length=120, editable=False, db_index=True)
    mapped_to = models.ManyToManyField(
        "self", symmetrical=True, blank=True, verbose_name=_("equivalent clauses")
    )

    history = HistoricalRecords(m2m_fields=[])

    class Meta:
        ordering = ["criteria_set__code", "sort_key"]
        verbose_name = _("clause")
        verbose_name_plural = _("clauses")
        constraints = [
            models.UniqueConstraint(
                fields=["criteria_set", "number"], name="ims_clause_unique_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.label}"

    @property
    def reference(self) -> str:
        """The clause as people cite it: "ISO 9001:2015 — 7.2", never the set's slug."""
        return f"{self.criteria_set.short_name} — {self.number}"

    @property
    def label(self) -> str:
        return localized(self, "title")

    @property
    def depth(self) -> int:
        return self.number.count(".")

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.sort_key = clause_sort_key(self.number)
        super().save(*args, **kwargs)
