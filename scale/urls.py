"""The benchmark's baseline view, routed only when ``BENCH_BASELINES`` is on.

``BENCH_BASELINES`` is read from settings if set there, else from the environment (default
false): in production the prefix resolves to nothing, so the baseline URL is a 404.
"""

from django.conf import settings
from django.urls import path

from ims.env import env_bool
from scale import views

app_name = "scale"


def baselines_enabled():
    configured = getattr(settings, "BENCH_BASELINES", None)
    return env_bool("BENCH_BASELINES", False) if configured is None else bool(configured)


urlpatterns = (
    [
        path("bare/", views.bare, name="bare"),
    ]
    if baselines_enabled()
    else []
)
