"""The core's own report: an organisation unit's profile (sub-units and people)."""

from django.utils.translation import gettext_lazy as _

from ims.models import OrgUnit
from ims.reports import ReportKind


class UnitReport(ReportKind):
    code = "unit"
    label = _("Organisation unit profile")
    template = "reports/unit.html"

    def queryset(self, user):
        units = OrgUnit.objects.select_related("kind", "parent")
        return units if user is None else units.for_user(user)

    def get_context(self, obj, params):
        return {
            "unit": obj,
            "children": obj.children.select_related("kind").order_by("name"),
            "members": obj.memberships.active().select_related("user").order_by("role"),
        }

    def filename(self, obj, params):
        return f"don-vi-{obj.code}.pdf"
