from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NonconformitiesConfig(AppConfig):
    name = "nonconformities"
    verbose_name = _("Nonconformities and corrective actions")
    url_prefix = "nonconformities/"

    def ready(self):
        from ims.registry import register_reference_data
        from nonconformities.data import load_reference_data

        register_reference_data("nonconformities", load_reference_data)
