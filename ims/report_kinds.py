"""The core's own report: an organisation unit's profile (sub-units and people)."""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from ims.models import OrgUnit, User
from ims.reports import ReportKind


class UnitReport(ReportKind):
    code = "unit"
    label = _("Organisation unit profile")
    template = "reports/unit.html"

    def queryset(self, user: User | None) -> QuerySet[OrgUnit]:
        units = OrgUnit.objects.select_related("kind", "parent")
        return units if user is None else units.for_user(user)

    def get_context(self, obj: OrgUnit, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "unit": obj,
            "children": obj.children.select_related("kind").order_by("name"),
            "members": obj.memberships.active().select_related("user").order_by("role"),
        }

    def filename(self, obj: OrgUnit, params: dict[str, Any]) -> str:
        return f"don-vi-{obj.code}.pdf"
