"""Public answering pages, mounted at the site root: ``path("s/", include("surveys.public_urls"))``."""

from django.urls import path, re_path

from surveys import public_views

app_name = "surveys_public"

urlpatterns = [
    path("", public_views.enter, name="enter"),
    path("thanks/", public_views.thanks, name="thanks"),
    path("r/<str:token>/", public_views.answer, name="answer"),
    re_path(r"^(?P<code>[0-9A-Za-z-]{8,48})/?$", public_views.start, name="start"),
]
