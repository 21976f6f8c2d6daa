from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NonconformitiesConfig(AppConfig):
    name = "nonconformities"
    verbose_name = _("Nonconformities and corrective actions")
    url_prefix = "nonconformities/"

    def ready(self):
        from ims.registry import register_nav, register_reference_data
        from nonconformities.data import load_reference_data

        register_reference_data("nonconformities", load_reference_data)
        register_nav("nonconformities", _("Nonconformities"), "nonconformities:register", order=40)

        from ims.reminders import register_reminders
        from ims.reports import register_report
        from nonconformities.reminders import nc_reminders
        from nonconformities.report_kinds import NonconformityReport

        register_reminders("nonconformities", nc_reminders)
        register_report(NonconformityReport())

        from nonconformities import worklist

        worklist.register()
