from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditsConfig(AppConfig):
    name = "audits"
    verbose_name = _("Audits")
    url_prefix = "audits/"

    def ready(self):
        from audits.data import load_reference_data
        from audits.reminders import audit_reminders
        from audits.report_kinds import AuditReport
        from ims.registry import register_nav, register_reference_data
        from ims.reminders import register_reminders
        from ims.reports import register_report

        register_reference_data("audits", load_reference_data)
        register_nav("audits", _("Audits"), "audits:audit_list", order=30)
        register_reminders("audits", audit_reminders)
        register_report(AuditReport())

        from audits import worklist

        worklist.register()

        from audits.api import router
        from ims.registry import register_api_router

        register_api_router("audits", "/", router)
