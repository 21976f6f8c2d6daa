"""Reading django-simple-history for people: each change as "field: old → new", and the reason
a service records with it.

Services call ``with_reason(obj, reason)`` before ``obj.save()`` when the person gave one (a
reason for withdrawing, cancelling, deactivating...): the history row keeps it.
"""

from typing import Any

from django.db import models
from django.utils.formats import localize
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# simple-history's own labels for a row's type have no Vietnamese or Lao: ours do.
HISTORY_TYPES = {
    "+": gettext_lazy("Created"),
    "~": gettext_lazy("Changed"),
    "-": gettext_lazy("Deleted"),
}


def with_reason[M: models.Model](obj: M, reason: object) -> M:
    """Have the next history row of ``obj`` (written by its next ``save()``) carry ``reason``."""
    if reason:
        obj._change_reason = str(reason)[:100]  # type: ignore[attr-defined]
    return obj


def display(field: models.Field, value: Any) -> str:
    """``value`` of ``field`` as a person reads it: a choice's label, a related record's name."""
    if value is None or value == "":
        return "—"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.BooleanField):
        return _("yes") if value else _("no")
    return localize(value)


def changes(records: Any, *, limit: int = 20) -> list[Any]:
    """The newest ``limit`` of ``records`` (one object's history, newest first), each with
    ``changes``: ``[{"field", "old", "new"}]`` against the record before it; the oldest has none.
    One query for the records, one per related model whose value changed.

    A link is named only when it points at the core (a person, a unit, a clause, a kind): the
    name of a linked domain record (a restricted document, another unit's NC) is not for every
    reader of this one, so such a change is left out here (the admin's history has it)."""
    records = list(records[: limit + 1])
    if not records:
        return []
    model = records[0].instance_type
    raw = []
    for index, newer in enumerate(records[:limit]):
        older = records[index + 1] if index + 1 < len(records) else None
        newer.changes = []
        newer.type_label = HISTORY_TYPES.get(newer.history_type, newer.history_type)
        for field in model._meta.concrete_fields if older is not None else ():
            if field.is_relation and field.related_model._meta.app_label != "ims":
                continue
            name = field.attname
            if hasattr(newer, name) and getattr(newer, name) != getattr(older, name):
                newer.changes.append(
                    {"field": field, "old": getattr(older, name), "new": getattr(newer, name)}
                )
                raw.append(newer.changes[-1])
    related: dict[type[models.Model], set[object]] = {}
    for change in raw:
        if change["field"].is_relation:
            ids = related.setdefault(change["field"].related_model, set())
            ids.update(v for v in (change["old"], change["new"]) if v is not None)
    names = {
        related_model: {obj.pk: str(obj) for obj in related_model._base_manager.filter(pk__in=ids)}
        for related_model, ids in related.items()
    }
    for change in raw:
        field = change.pop("field")
        for key in ("old", "new"):
            value = change[key]
            if field.is_relation and value is not None:
                change[key] = names[field.related_model].get(value, f"#{value}")
            else:
                change[key] = display(field, value)
        change["field"] = capfirst(field.verbose_name)
    return records[:limit]
