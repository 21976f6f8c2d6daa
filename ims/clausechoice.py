"""Choosing clauses in forms: several as a grouped checkbox list, or one as a register filter.

Every app's forms use these two fields; none defines its own clause field.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django import forms
from django.db.models import QuerySet

from ims.models import Clause
from ims.models.i18n import localized
from ims.multichoice import MultiChoice, OptionLabel
from ims.unitfilter import LightModelChoiceField


def clause_label(code: str, number: str, title: str, title_en: str, title_lo: str) -> str:
    """ "ISO-9001 9.2 Internal audit" from a clause row, in the active language."""
    text = localized(SimpleNamespace(title=title, title_en=title_en, title_lo=title_lo), "title")
    return f"{code} {number} {text}"


def clause_number(code: str, number: str) -> str:
    """ "ISO-9001 9.2": a clause row without its title, for a narrow filter."""
    return f"{code} {number}"


CLAUSE_LABEL_FIELDS = ("criteria_set__code", "number", "title", "title_en", "title_lo")
CLAUSE_NUMBER_FIELDS = ("criteria_set__code", "number")


class ClauseMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Clauses, listed under their criteria set and indented by their numbering."""

    widget = MultiChoice

    def __init__(self, queryset: QuerySet[Clause] | None = None, **kwargs: Any) -> None:
        super().__init__(queryset=Clause.objects.none() if queryset is None else queryset, **kwargs)

    def label_from_instance(self, obj: Clause) -> OptionLabel:
        return OptionLabel(
            f"{obj.number} {obj.label}",
            depth=obj.depth,
            group=obj.criteria_set.label,
            chip=f"{obj.reference} {obj.label}",  # "ISO 9001:2015 — 7.2 ...": which standard
        )


class ClauseChoiceField(LightModelChoiceField):
    """One clause, for a register's filter: a light ``<select>`` built from value rows.

    Each option reads "code number title"; ``with_title=False`` leaves the title out where the
    filter bar is narrow. Set ``queryset`` in the form's ``__init__`` (none until then).
    """

    def __init__(
        self, *, queryset: QuerySet[Clause] | None = None, with_title: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(
            queryset=Clause.objects.none() if queryset is None else queryset,
            label_fields=CLAUSE_LABEL_FIELDS if with_title else CLAUSE_NUMBER_FIELDS,
            label_from_row=clause_label if with_title else clause_number,
            **kwargs,
        )
