"""The project's URLs plus the public answering pages, until ``ims/urls.py`` mounts them."""

from django.urls import include, path

from ims.urls import urlpatterns as ims_urlpatterns

urlpatterns = [path("s/", include("surveys.public_urls")), *ims_urlpatterns]
