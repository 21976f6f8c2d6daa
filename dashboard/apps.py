from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = _("Director dashboard")
    url_prefix = "dashboard/"

    def ready(self):
        from dashboard import caching
        from dashboard.report_kinds import DashboardReport
        from dashboard.scope import DASHBOARD_ROLES
        from ims.registry import register_nav
        from ims.reports import register_report

        register_nav("dashboard", _("Dashboard"), "dashboard:index", order=5, roles=DASHBOARD_ROLES)
        register_report(DashboardReport())
        caching.connect()
