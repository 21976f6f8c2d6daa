"""Loading reference data (criteria sets, unit kinds, school levels) idempotently.

Called by the data migration (with historical models) and by ``manage.py load_reference_data``.
"""

from collections.abc import Mapping
from typing import Any

from django.apps.registry import Apps
from django.db.models import Model

from ims.data.criteria import CRITERIA_SETS, MAPPINGS_9001_21001, SCHOOL_LEVELS, UNIT_KINDS
from ims.models.criteria import clause_sort_key


def load_reference_data(apps: Apps) -> None:
    UnitKind = apps.get_model("ims", "UnitKind")
    SchoolLevel = apps.get_model("ims", "SchoolLevel")
    for code, name, name_en, name_lo, is_school, order in UNIT_KINDS:
        UnitKind.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "name_lo": name_lo,
                "is_school": is_school,
                "order": order,
            },
        )
    for code, name, name_en, name_lo, order in SCHOOL_LEVELS:
        SchoolLevel.objects.update_or_create(
            code=code,
            defaults={"name": name, "name_en": name_en, "name_lo": name_lo, "order": order},
        )
    sets = {data["code"]: load_criteria_set(apps, data) for data in CRITERIA_SETS}
    Clause = apps.get_model("ims", "Clause")
    left = {c.number: c for c in Clause.objects.filter(criteria_set=sets["iso-9001-2015"])}
    right = {c.number: c for c in Clause.objects.filter(criteria_set=sets["iso-21001-2018"])}
    for a, b in MAPPINGS_9001_21001:
        left[a].mapped_to.add(right[b])


def load_criteria_set(apps: Apps, data: Mapping[str, Any]) -> Model:
    CriteriaSet = apps.get_model("ims", "CriteriaSet")
    Clause = apps.get_model("ims", "Clause")
    criteria_set, _created = CriteriaSet.objects.update_or_create(
        code=data["code"],
        defaults={
            "title": data["title"],
            "title_en": data["title_en"],
            "edition": data["edition"],
            "valid_from": data.get("valid_from"),
            "kind": "standard",
        },
    )
    by_number: dict[str, Any] = {}
    for number, title, title_en in data["clauses"]:
        parent = by_number.get(number.rsplit(".", 1)[0]) if "." in number else None
        clause, _created = Clause.objects.update_or_create(
            criteria_set=criteria_set,
            number=number,
            defaults={
                "title": title,
                "title_en": title_en,
                "parent": parent,
                "sort_key": clause_sort_key(number),
            },
        )
        by_number[number] = clause
    return criteria_set
