"""Admin for the configurable lists (finding grades, processes, checklist templates).

Audits, findings and programmes change state only through the services, so the admin shows them
read-only; it never offers a status field or a delete button for them.
"""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from audits.models import (
    Audit,
    AuditProgramme,
    ChecklistQuestion,
    ChecklistTemplate,
    Finding,
    FindingGrade,
    Process,
)


@admin.register(FindingGrade)
class FindingGradeAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "name_en", "severity", "order"]
    list_editable = ["order"]

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.findings.exists()


@admin.register(Process)
class ProcessAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "unit", "owner", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["unit", "owner"]

    def has_delete_permission(self, request, obj=None):
        return False


class ChecklistQuestionInline(admin.StackedInline):
    model = ChecklistQuestion
    extra = 1
    filter_horizontal = ["clauses"]


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(SimpleHistoryAdmin):
    list_display = ["title", "unit", "is_active"]
    inlines = [ChecklistQuestionInline]
    autocomplete_fields = ["unit"]


class ReadOnly(SimpleHistoryAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditProgramme)
class AuditProgrammeAdmin(ReadOnly):
    list_display = ["title", "unit", "start_year", "status"]


@admin.register(Audit)
class AuditAdmin(ReadOnly):
    list_display = [
        "code",
        "title",
        "kind",
        "external_lead_auditor",
        "status",
        "planned_start",
        "report_due",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["code", "title"]


@admin.register(Finding)
class FindingAdmin(ReadOnly):
    list_display = ["audit", "grade", "unit", "status", "created_at"]
    list_filter = ["grade", "status"]
