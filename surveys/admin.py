"""Admin for reference data and campaigns. Responses and answers are deliberately absent: they
are anonymous and immutable, and are read only through aggregated results and exports."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from surveys.models import Area, Campaign, Instrument


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "name_lo", "order"]


@admin.register(Instrument)
class InstrumentAdmin(SimpleHistoryAdmin):
    list_display = ["title", "group", "owner_unit"]
    list_filter = ["group"]
    search_fields = ["title"]
    readonly_fields = ["owner_unit", "group", "created_by"]


@admin.register(Campaign)
class CampaignAdmin(SimpleHistoryAdmin):
    list_display = ["title", "group", "owner_unit", "opens_on", "closes_on", "status"]
    list_filter = ["status", "group"]
    search_fields = ["title"]
    readonly_fields = ["version", "owner_unit", "status", "created_by"]
