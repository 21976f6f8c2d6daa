"""Choosing several items: a checkbox list that JavaScript turns into a filter box and chips.

Never a ``<select multiple>`` (a 5-row box of 150 clauses, chosen with Ctrl+click, unusable on a
phone). ``MultiChoice`` renders every choice as a checkbox, grouped (a criteria set's clauses
under its title) and indented (a unit under the unit above it, a clause under its parent).
Without JavaScript that is the whole widget: a plain list, ticked and submitted like any form.
``static/js/multichoice.js`` adds a filter box above the list ("quy trinh" finds "quy trình")
and shows what is chosen as chips that can be removed; the checkboxes stay the form's data.

A label can carry its depth and group: choice fields return ``OptionLabel`` (a ``str``) from
``label_from_instance``, as ``ims.clausechoice.ClauseMultipleChoiceField`` does. The options are
written with ``format_html``, not one template per option: a clause list is 150 options on every
audit form.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

MAX_DEPTH = 8


class OptionLabel(str):
    """An option's text, with the depth it is indented to and the group it is listed under."""

    depth = 0
    group = ""
    chip = ""

    def __new__(
        cls, text: str, depth: int = 0, group: object = "", chip: object = ""
    ) -> OptionLabel:
        label = super().__new__(cls, text)
        label.depth = max(0, min(MAX_DEPTH, int(depth)))
        label.group = str(group or "")
        label.chip = str(chip or "")  # the chosen item on its own, where the group is not seen
        return label


def _flat(choices: Iterable[tuple[Any, Any]]) -> Iterator[tuple[Any, Any, str]]:
    """(value, label, group) for every choice, optgroups included."""
    for value, label in choices:
        if isinstance(label, (list, tuple)):
            for sub_value, sub_label in label:
                yield sub_value, sub_label, str(value)
        else:
            yield value, label, getattr(label, "group", "")


class MultiChoice(forms.CheckboxSelectMultiple):
    """Checkboxes named like the field, in groups, indented; filterable with JavaScript."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        final_attrs = self.build_attrs(self.attrs, attrs or {})
        id_ = final_attrs.get("id") or f"id_{name}"
        disabled = " disabled" if final_attrs.get("disabled") else ""
        selected = {str(v) for v in self.format_value(value)}
        rows = []
        group = None
        for index, (key, label, option_group) in enumerate(_flat(self.choices)):
            if str(key) == "":
                continue
            if option_group and option_group != group:
                rows.append(format_html('<p class="multichoice-group">{}</p>', option_group))
            group = option_group
            key = str(key)
            rows.append(
                format_html(
                    '<label class="choice depth-{}" for="{}_{}"{}><input type="checkbox" '
                    'name="{}" value="{}" id="{}_{}"{}{}> <span>{}</span></label>',
                    getattr(label, "depth", 0),
                    id_,
                    index,
                    format_html(' data-chip="{}"', label.chip)
                    if getattr(label, "chip", "")
                    else "",
                    name,
                    key,
                    id_,
                    index,
                    " checked" if key in selected else "",
                    disabled,
                    label,
                )
            )
        return format_html(
            '<div class="multichoice" id="{}" tabindex="-1" data-multichoice data-testid="multichoice"'
            ' data-remove-label="{}" data-none-label="{}">'
            '<div class="multichoice-tools" hidden>'
            '<input type="search" class="multichoice-filter" id="{}-filter" autocomplete="off"'
            ' enterkeyhint="search" placeholder="{}" aria-label="{}" aria-controls="{}-options">'
            '<ul class="multichoice-chips" aria-label="{}" aria-live="polite"></ul></div>'
            '<div class="multichoice-options" id="{}-options">{}</div>'
            '<p class="multichoice-none muted small" hidden>{}</p></div>',
            id_,
            _("Remove"),
            _("Nothing chosen yet."),
            id_,
            _("Type to filter the list"),
            _("Filter the list"),
            id_,
            _("Chosen"),
            id_,
            format_html_join("", "{}", ((row,) for row in rows)),
            _("Nothing in the list matches."),
        )

    def id_for_label(self, id_: str, index: str | None = None) -> str:
        # The legend names the group; the error summary links to the list itself.
        return id_ if index is None else f"{id_}_{index}"
