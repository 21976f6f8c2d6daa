"""The dashboard, printed: one unit's subtree and school year, through the report pipeline."""

from typing import Any

from django.db.models import QuerySet
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from dashboard.charts import dashboard_charts
from dashboard.indicators import build
from dashboard.scope import dashboard_roots
from dashboard.table import sort_rows
from ims.models import OrgUnit, User
from ims.reports import ReportKind
from ims.schoolyear import SchoolYear


class DashboardReport(ReportKind):
    code = "dashboard"
    label = _("Dashboard")
    template = "reports/dashboard.html"

    def queryset(self, user: User | None) -> QuerySet[OrgUnit]:
        units = OrgUnit.objects.select_related("kind")
        if user is None:
            return units
        roots = dashboard_roots(user)
        if not roots:
            return units.none()
        first, *others = roots
        condition = units.filter(path__startswith=first.path)
        for root in others:
            condition = condition | units.filter(path__startswith=root.path)
        return condition

    def get_object(self, user: User | None, object_id: object) -> OrgUnit:
        unit = super().get_object(user, object_id)
        # The numbers are those the requester sees (``report_user``), under their root.
        unit.report_root = None
        if user is not None:
            unit.report_root = next(
                (r for r in dashboard_roots(user) if unit.path.startswith(r.path)), None
            )
        return unit

    def get_context(self, obj: OrgUnit, params: dict[str, Any]) -> dict[str, Any]:
        year = SchoolYear.parse(params.get("f_year", "")) or SchoolYear.current()
        board = build(
            obj,
            year,
            user=self.report_user(obj),
            root=getattr(obj, "report_root", None) or obj,
        )
        # The units in the order the screen showed them when the report was asked for.
        board.units = sort_rows(board.units, params.get("f_sort"))
        return {"board": board, "charts": dashboard_charts(board)}

    def filename(self, obj: OrgUnit, params: dict[str, Any]) -> str:
        year = SchoolYear.parse(params.get("f_year", "")) or SchoolYear.current()
        return f"bang-dieu-khien-{slugify(obj.code)}-{year.slug}.pdf"
