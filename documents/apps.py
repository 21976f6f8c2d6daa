from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = _("Controlled documents")
    url_prefix = "documents/"

    def ready(self):
        from documents.authority import load_reference_data
        from ims.registry import register_nav, register_reference_data
        from ims.reminders import register_reminders
        from ims.reports import register_report

        from . import coverage
        from .reminders import document_reminders
        from .report_kinds import RegisterReport

        register_reference_data("documents", load_reference_data)
        register_nav("documents", _("Documents"), "documents:register", order=10)
        register_nav("to_acknowledge", _("To acknowledge"), "documents:to_acknowledge", order=11)
        register_reminders("documents", document_reminders)
        register_report(RegisterReport())
        coverage.connect()

        from documents import worklist

        worklist.register()
