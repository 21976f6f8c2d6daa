from django.urls import path

from audits import views, workspace

app_name = "audits"

urlpatterns = [
    path("", views.audit_list, name="audit_list"),
    path("today/", views.audit_today, name="audit_today"),
    path("workspace/", workspace.workspace, name="workspace"),
    path("workspace/manifest.webmanifest", workspace.manifest, name="workspace_manifest"),
    path("workspace/sw.js", workspace.service_worker, name="workspace_sw"),
    path("new/", views.audit_create, name="audit_create"),
    path("programmes/", views.programme_list, name="programme_list"),
    path("programmes/new/", views.programme_create, name="programme_create"),
    path("programmes/<int:pk>/", views.programme_detail, name="programme_detail"),
    path("programmes/<int:pk>/edit/", views.programme_edit, name="programme_edit"),
    path("programmes/<int:pk>/approve/", views.programme_approve, name="programme_approve"),
    path("<int:pk>/", views.audit_detail, name="audit_detail"),
    path("<int:pk>/edit/", views.audit_edit, name="audit_edit"),
    path("<int:pk>/step/<slug:step>/", views.audit_step, name="audit_step"),
    path("<int:pk>/finish/", views.audit_finish, name="audit_finish"),
    path("<int:pk>/team/", views.team_add, name="team_add"),
    path(
        "<int:pk>/team/<int:member_pk>/approve/",
        views.team_override_approve,
        name="team_override_approve",
    ),
    path("<int:pk>/team/<int:member_pk>/remove/", views.team_remove, name="team_remove"),
    path("<int:pk>/checklist/", views.checklist_generate, name="checklist_generate"),
    path("<int:pk>/checklist/<int:item_pk>/", views.checklist_item, name="checklist_item"),
    path("<int:pk>/findings/new/", views.finding_create, name="finding_create"),
    path("<int:pk>/report/", views.report_view, name="report"),
    path("<int:pk>/report/edit/", views.report_edit, name="report_edit"),
    path("<int:pk>/report/issue/", views.report_issue, name="report_issue"),
    path("<int:pk>/external-report/", views.external_report, name="external_report"),
    path(
        "<int:pk>/external-report/attach/",
        views.external_report_attach,
        name="external_report_attach",
    ),
    path("findings/", views.finding_list, name="finding_list"),
    path("findings/<uuid:pk>/", views.finding_detail, name="finding_detail"),
    path("findings/<uuid:pk>/evidence/", views.finding_evidence_add, name="finding_evidence_add"),
    path("findings/<uuid:pk>/close/", views.finding_close, name="finding_close"),
    path("revisions/", views.revision_picker, name="revision_picker"),
    path("photos/<uuid:pk>/", views.photo, name="photo"),
    path("photos/<uuid:pk>/thumb/", views.photo, {"size": "thumb"}, name="photo_thumb"),
]
