from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("", views.register, name="register"),
    path("new/", views.document_create, name="document_create"),
    path("review/", views.review_list, name="review_list"),
    path("to-acknowledge/", views.to_acknowledge, name="to_acknowledge"),
    path("coverage/", views.unit_coverage, name="unit_coverage"),
    path("<int:pk>/", views.document_detail, name="document_detail"),
    path("<int:pk>/edit/", views.document_edit, name="document_edit"),
    path("<int:pk>/compare/", views.revision_compare, name="revision_compare"),
    path("<int:pk>/withdraw/", views.document_withdraw, name="document_withdraw"),
    path("<int:pk>/periodic-review/", views.document_confirm_review, name="confirm_review"),
    path("<int:pk>/revisions/new/", views.revision_create, name="revision_create"),
    path("revisions/<int:pk>/edit/", views.revision_edit, name="revision_edit"),
    path("revisions/<int:pk>/download/", views.revision_download, name="revision_download"),
    path("revisions/<int:pk>/view/", views.revision_view, name="revision_view"),
    path("revisions/<int:pk>/file/", views.revision_file, name="revision_file"),
    path("revisions/<int:pk>/distribute/", views.distribution_add, name="distribution_add"),
    path("revisions/<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("revisions/<int:pk>/remind/", views.remind_unread, name="remind_unread"),
    path("distribution/<int:pk>/remove/", views.distribution_remove, name="distribution_remove"),
    # Lifecycle steps (submit, review, approve, publish, return): keep this pattern last.
    path(
        "revisions/<int:pk>/<slug:action>/",
        views.revision_action,
        name="revision_action",
    ),
]
