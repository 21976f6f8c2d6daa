from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImsConfig(AppConfig):
    name = "ims"
    verbose_name = _("Integrated management system")

    def ready(self) -> None:
        from ims.criteria import load_reference_data
        from ims.registry import register_nav, register_reference_data

        register_reference_data("ims", load_reference_data)

        register_nav("tasks", _("My work"), "ims:tasks", order=0)
        register_nav("org", _("Organisation"), "ims:unit_list", order=80)
        register_nav("people", _("People"), "ims:user_list", order=85)

        from ims.report_kinds import UnitReport
        from ims.reports import register_report

        register_report(UnitReport())

        from django.contrib.auth.signals import user_logged_in

        import ims.unitfilter  # noqa: F401  (connects the unit filter's cache invalidation)
        from ims.middleware import mark_active

        user_logged_in.connect(mark_active, dispatch_uid="ims.mark_active")
