"""The project's URLs, plus the public survey pages at ``/s/`` while ``ims/urls.py`` does not
mount them yet (the surveys app asks the integrator for that include)."""

from django.urls import include, path

from ims.urls import urlpatterns as project_urlpatterns

_mounted = any(
    getattr(pattern, "namespace", None) == "surveys_public" for pattern in project_urlpatterns
)
urlpatterns = (
    project_urlpatterns
    if _mounted
    else [path("s/", include("surveys.public_urls")), *project_urlpatterns]
)
