from django.urls import path

from surveys import views

app_name = "surveys"

urlpatterns = [
    path("", views.campaign_list, name="campaign_list"),
    path("new/", views.campaign_create, name="campaign_create"),
    path("overview/", views.overview, name="overview"),
    path("<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("<int:pk>/publish/", views.campaign_transition, {"action": "publish"}, name="publish"),
    path("<int:pk>/close/", views.campaign_transition, {"action": "close"}, name="close"),
    path("<int:pk>/preview/", views.campaign_preview, name="campaign_preview"),
    path("<int:pk>/results/", views.results, name="results"),
    path("<int:pk>/results/export/", views.results_export, name="results_export"),
    path("<int:pk>/results/raise/", views.result_raise, name="result_raise"),
    path("<int:pk>/codes/", views.codes_generate, name="codes_generate"),
    path("<int:pk>/free-text/", views.free_text, name="free_text"),
    path(
        "<int:pk>/free-text/<int:grant_pk>/revoke/",
        views.free_text_revoke,
        name="free_text_revoke",
    ),
    path("<int:pk>/links/<int:link_pk>/qr.svg", views.link_qr, {"fmt": "svg"}, name="link_svg"),
    path("<int:pk>/links/<int:link_pk>/qr.png", views.link_qr, {"fmt": "png"}, name="link_png"),
    path("<int:pk>/links/<int:link_pk>/sheet/", views.link_sheet, name="link_sheet"),
    path("instruments/", views.instrument_list, name="instrument_list"),
    path("instruments/new/", views.instrument_create, name="instrument_create"),
    path("instruments/<int:pk>/", views.instrument_detail, name="instrument_detail"),
    path("instruments/<int:pk>/versions/", views.version_new, name="version_new"),
    path(
        "instruments/<int:pk>/v<int:number>/sections/",
        views.section_add,
        name="section_add",
    ),
    path(
        "instruments/<int:pk>/v<int:number>/questions/",
        views.question_add,
        name="question_add",
    ),
    path(
        "instruments/<int:pk>/v<int:number>/questions/<int:question_pk>/",
        views.question_edit,
        name="question_edit",
    ),
    path(
        "instruments/<int:pk>/v<int:number>/questions/<int:question_pk>/delete/",
        views.question_delete,
        name="question_delete",
    ),
]
