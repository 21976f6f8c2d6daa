from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScaleConfig(AppConfig):
    """Province-scale data generator (``seed_scale``) and the benchmark's baseline view.

    The baseline view is mounted under ``url_prefix`` only when ``BENCH_BASELINES`` is on
    (see ``scale/urls.py``); otherwise the prefix has no routes at all.
    """

    name = "scale"
    verbose_name = _("Scale benchmark")
    url_prefix = "_bench/"
