"""The PDF report of a campaign's results (kind ``survey``), with suppression applied."""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from ims.models import User
from ims.reports import ReportKind
from surveys.charts import results_charts
from surveys.models import Campaign
from surveys.results import results_with_trend, scope_for


class SurveyReport(ReportKind):
    code = "survey"
    label = _("Satisfaction survey results")
    template = "reports/survey.html"

    def queryset(self, user: User | None) -> QuerySet[Campaign]:
        campaigns = Campaign.objects.select_related("version__instrument", "owner_unit")
        return campaigns if user is None else campaigns.for_user(user)

    def get_context(self, obj: Campaign, params: dict[str, Any]) -> dict[str, Any]:
        user = self.report_user(obj)
        scope = scope_for(obj, user, params.get("f_unit"))
        if scope is None:
            raise Http404
        results, history = results_with_trend(obj, scope, user)
        return {
            "campaign": obj,
            "results": results,
            "trend": history,
            "charts": results_charts(results, history),
        }

    def filename(self, obj: Campaign, params: dict[str, Any]) -> str:
        return f"khao-sat-{obj.pk}.pdf"
