from django.contrib import admin
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin

from ims.admin import ReadOnlyAdmin

from .models import (
    IDENTITY_FIELDS,
    Acknowledgement,
    ApprovalAuthority,
    Distribution,
    Document,
    Revision,
    RevisionStatus,
)


class RevisionInline(admin.TabularInline):
    model = Revision
    extra = 0
    fields = ["number", "status", "change_summary", "file_name", "sha256", "effective_date"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Document)
class DocumentAdmin(SimpleHistoryAdmin):
    list_display = ["code", "title", "doc_type", "owner_unit", "status", "next_review_date"]
    list_filter = ["doc_type", "status", "confidentiality"]
    search_fields = ["code", "title", "search_text"]
    autocomplete_fields = ["owner_unit", "clauses", "replaced_by"]
    raw_id_fields = ["owner", "restricted_to"]
    readonly_fields = ["status", "effective_revision", "effective_date", "next_review_date"]
    inlines = [RevisionInline]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.identity_frozen():
            fields += list(IDENTITY_FIELDS)  # the model refuses the change as well
        return fields

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Revision)
class RevisionAdmin(SimpleHistoryAdmin):
    """Lifecycle steps happen in the application (signed); a revision past its draft is
    read-only here, and the model (and PostgreSQL) refuse a change made any other way."""

    list_display = ["__str__", "status", "author", "approver", "effective_date"]
    list_filter = ["status"]
    search_fields = ["document__code", "document__title"]
    raw_id_fields = ["document", "author", "approver", "reviewers"]
    readonly_fields = [
        "status",
        "file",
        "file_name",
        "file_kind",
        "file_size",
        "sha256",
        "effective_date",
        "submitted_at",
        "approved_at",
        "superseded_at",
        "obsolete_at",
        "obsolete_reason",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status != RevisionStatus.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if (
            change
            and Revision.objects.filter(pk=obj.pk).exclude(status=RevisionStatus.DRAFT).exists()
        ):
            raise PermissionDenied
        super().save_model(request, obj, form, change)


@admin.register(Distribution)
class DistributionAdmin(SimpleHistoryAdmin):
    """Every entry, ended ones included; entries are added and ended in the application."""

    list_display = ["revision", "unit", "user", "created_at", "ended_at", "ended_by"]
    list_filter = [("ended_at", admin.EmptyFieldListFilter)]
    raw_id_fields = ["revision", "unit", "user", "created_by"]
    readonly_fields = ["ended_at", "ended_by"]

    def get_queryset(self, request):
        return Distribution.all_objects.select_related("revision__document", "unit", "user")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Acknowledgement)
class AcknowledgementAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    """Written only by the recipient (``revision_acknowledge``); never changed or deleted."""

    list_display = ["revision", "user", "acknowledged_at"]
    raw_id_fields = ["revision", "user"]


@admin.register(ApprovalAuthority)
class ApprovalAuthorityAdmin(SimpleHistoryAdmin):
    """The approval authority matrix: which roles approve each document type, and where they
    must hold the role. Rows are switched off (``is_active``), never deleted, so the history
    says who could approve what when."""

    list_display = ["doc_type", "role", "level", "is_active"]
    list_filter = ["doc_type", "role", "level", "is_active"]
    list_editable = ["level", "is_active"]

    def has_delete_permission(self, request, obj=None):
        return False
