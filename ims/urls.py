from django.apps import apps
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from ims import views
from ims.api import api_urls

ims_patterns = (
    [
        path("tasks/", views.tasks, name="tasks"),
        path("notifications/", views.notification_list, name="notification_list"),
        path("notifications/read/", views.notification_read, name="notification_read"),
        path("notifications/<int:pk>/", views.notification_open, name="notification_open"),
        path("org/", views.unit_list, name="unit_list"),
        path("org/<int:pk>/", views.unit_detail, name="unit_detail"),
        path("org/import/", views.import_view, name="import"),
        path("people/", views.user_list, name="user_list"),
        path("people/search/", views.people_search, name="people_search"),
        path("people/<int:pk>/", views.user_detail, name="user_detail"),
        path(
            "people/<int:pk>/deactivate/",
            views.user_set_active,
            {"active": False},
            name="user_deactivate",
        ),
        path(
            "people/<int:pk>/reactivate/",
            views.user_set_active,
            {"active": True},
            name="user_reactivate",
        ),
        path(
            "people/<int:pk>/first-password/",
            views.user_first_password,
            name="user_first_password",
        ),
        path("me/", views.profile, name="profile"),
        path("me/tokens/", views.api_token_create_view, name="api_token_create"),
        path("me/tokens/<int:pk>/revoke/", views.api_token_revoke_view, name="api_token_revoke"),
        path("reports/request/", views.report_request_view, name="report_request"),
        path("reports/<int:pk>/", views.report_job, name="report_job"),
        path("reports/<int:pk>/retry/", views.report_retry_view, name="report_retry"),
        path("reports/<int:pk>/download/", views.report_download, name="report_download"),
    ],
    "ims",
)

urlpatterns = [
    path("", views.home, name="home"),
    path("", include(ims_patterns)),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/change/", views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "accounts/password/reset/",
        views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "accounts/password/reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", api_urls()),
]

# Domain apps are mounted from their AppConfig (``url_prefix``, and ``extra_urls``: pairs of
# prefix and urlconf, e.g. public pages at the root): the core imports none of them. The public
# pages come first: they are the busiest (every survey respondent's page), and resolving a URL
# tries the patterns in order.
urlpatterns[:0] = [
    path(prefix, include(urlconf))
    for config in apps.get_app_configs()
    for prefix, urlconf in getattr(config, "extra_urls", ())
]
urlpatterns += [
    path(config.url_prefix, include(f"{config.name}.urls"))  # type: ignore[attr-defined]
    for config in apps.get_app_configs()
    if getattr(config, "url_prefix", None)
]
