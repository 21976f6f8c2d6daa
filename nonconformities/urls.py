from django.urls import path

from nonconformities import views

app_name = "nonconformities"

urlpatterns = [
    path("", views.register, name="register"),
    path("new/", views.raise_view, name="raise"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/contain/", views.contain, name="contain"),
    path("<int:pk>/containment/assign/", views.assign_containment, name="assign_containment"),
    path("<int:pk>/analysis/revise/", views.revise_analysis, name="revise_analysis"),
    path("<int:pk>/analyse/", views.analyse, name="analyse"),
    path("<int:pk>/extent/", views.extent, name="extent"),
    path("<int:pk>/actions/", views.action_add, name="action_add"),
    path(
        "<int:pk>/actions/<int:action_pk>/complete/",
        views.action_complete,
        name="action_complete",
    ),
    path("<int:pk>/actions/<int:action_pk>/cancel/", views.action_cancel, name="action_cancel"),
    path("<int:pk>/actions/<int:action_pk>/redate/", views.action_redate, name="action_redate"),
    path(
        "<int:pk>/actions/<int:action_pk>/reassign/",
        views.action_reassign,
        name="action_reassign",
    ),
    path("<int:pk>/verification/plan/", views.plan_verification, name="plan_verification"),
    path("<int:pk>/verify/", views.verify, name="verify"),
    path("<int:pk>/close/", views.close, name="close"),
    path("<int:pk>/attachments/", views.attach, name="attach"),
    path(
        "<int:pk>/attachments/<int:attachment_pk>/",
        views.attachment_download,
        name="attachment",
    ),
]
