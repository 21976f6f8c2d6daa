"""Admin: fishbone categories are edited here; NCs are read-only (every change is a service)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from nonconformities.models import CauseCategory, CorrectiveAction, Nonconformity


@admin.register(CauseCategory)
class CauseCategoryAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "name_en", "name_lo", "order", "is_active"]
    list_editable = ["order", "is_active"]

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ActionInline(ReadOnly, admin.TabularInline):
    model = CorrectiveAction
    extra = 0
    fields = ["round", "description", "owner", "due", "status", "completed_at"]
    readonly_fields = fields


@admin.register(Nonconformity)
class NonconformityAdmin(ReadOnly, SimpleHistoryAdmin):
    list_display = ["number", "title", "unit", "source", "severity", "status", "reported_on"]
    list_filter = ["status", "source", "severity", "kind"]
    search_fields = ["number", "title", "search_text"]
    inlines = [ActionInline]
