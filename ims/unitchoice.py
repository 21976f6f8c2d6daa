"""Choosing units in a form: the list always shows the tree.

Every form that chooses a unit uses ``UnitChoiceField`` (one unit, a native ``<select>``) or
``UnitMultipleChoiceField`` (several, a ``MultiChoice`` list). Both order the units by their
tree path and indent each unit under the nearest unit above it that is also listed, so a
school shows under its commune, and a list that starts below the root (a principal's school)
is not pushed to the right. A ``<select>`` indents with spaces (it can hold no markup); the
checkbox list indents with a class per depth (``depth-N``; the CSP allows no inline style).
"""

from collections.abc import Collection, Iterator

from django import forms
from django.forms.models import ModelChoiceIterator, ModelChoiceIteratorValue

from ims.models.org import OrgUnit, ancestor_paths
from ims.multichoice import MultiChoice, OptionLabel

INDENT = "\u00a0\u00a0\u00a0"
MAX_DEPTH = 8


def tree_depths(units: Collection[OrgUnit]) -> dict[int, int]:
    """``{unit.pk: depth}``: how many of ``units``' own ancestors are also in ``units``."""
    listed = {u.path for u in units}
    return {
        u.pk: min(MAX_DEPTH, sum(1 for p in ancestor_paths(u.path)[:-1] if p in listed))
        for u in units
    }


class UnitTreeIterator(ModelChoiceIterator):
    """The units in tree order, each label an ``OptionLabel`` carrying its depth."""

    field: "UnitChoiceField | UnitMultipleChoiceField"

    def __iter__(self) -> Iterator[tuple[ModelChoiceIteratorValue | str, str]]:
        if self.field.empty_label is not None:
            # Lazy, as Django's own iterator yields it (the stubs say str).
            yield ("", self.field.empty_label)  # type: ignore[misc]
        units = sorted(self.queryset, key=lambda u: u.path)
        depths = tree_depths(units)
        for unit in units:
            value, _label = self.choice(unit)
            depth = depths[unit.pk]
            text = unit.label
            if self.field.indent_with_spaces:
                text = INDENT * depth + text
            yield (value, OptionLabel(text, depth=depth))

    def __len__(self) -> int:
        return self.queryset.count() + (1 if self.field.empty_label is not None else 0)


class UnitChoiceField(forms.ModelChoiceField):
    """One unit, from a ``<select>`` that shows the tree by indentation."""

    iterator = UnitTreeIterator
    indent_with_spaces = True

    def label_from_instance(self, obj: OrgUnit) -> str:
        return obj.label


class UnitMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Several units, from a filterable checkbox list that shows the tree."""

    iterator = UnitTreeIterator
    indent_with_spaces = False
    widget = MultiChoice

    def label_from_instance(self, obj: OrgUnit) -> str:
        return obj.label
