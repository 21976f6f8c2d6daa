from axes.utils import reset as axes_reset
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from guardian.admin import GuardedModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from ims.forms import AdminLoginForm
from ims.models import (
    ApiToken,
    Clause,
    CriteriaSet,
    Membership,
    Notification,
    OrgUnit,
    SchoolLevel,
    Signature,
    TransitionEvent,
    UnitKind,
    User,
)

# The admin's own sign-in page has the same lockout and messages as the login page.
admin.site.login_form = AdminLoginForm


class NoDeleteMixin:
    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ReadOnlyAdmin(NoDeleteMixin, admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["unit"]

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(NoDeleteMixin, SimpleHistoryAdmin, BaseUserAdmin):
    list_display = ["username", "full_name", "email", "is_active", "language"]
    search_fields = ["username", "full_name", "email"]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (_("IMS"), {"fields": ["full_name", "phone", "language", "email_delivery"]}),
    )
    inlines = [MembershipInline]
    actions = ["unlock"]

    def get_readonly_fields(
        self, request: HttpRequest, obj: User | None = None
    ) -> list[str] | tuple[str, ...]:
        """A username is chosen once, at creation: it is never renamed, so never reused."""
        fields = super().get_readonly_fields(request, obj)
        return [*fields, "username"] if obj is not None else fields

    @admin.action(description=_("Unlock the selected accounts"))
    def unlock(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        """End the sign-in pauses of these usernames from every address (django-axes)."""
        for username in queryset.values_list("username", flat=True):
            axes_reset(username=username)


@admin.register(OrgUnit)
class OrgUnitAdmin(NoDeleteMixin, GuardedModelAdmin, SimpleHistoryAdmin):  # type: ignore[misc]
    list_display = ["code", "name", "kind", "parent", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name", "search_text"]
    autocomplete_fields = ["parent"]
    filter_horizontal = ["levels"]


admin.site.register(UnitKind)
admin.site.register(SchoolLevel)


@admin.register(CriteriaSet)
class CriteriaSetAdmin(SimpleHistoryAdmin):
    list_display = ["code", "title", "edition", "kind", "is_active"]


@admin.register(Clause)
class ClauseAdmin(SimpleHistoryAdmin):
    list_display = ["number", "title", "criteria_set"]
    list_filter = ["criteria_set"]
    search_fields = ["number", "title", "title_en"]
    filter_horizontal = ["mapped_to"]


@admin.register(TransitionEvent)
class TransitionEventAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "content_type",
        "object_id",
        "action",
        "from_state",
        "to_state",
        "actor",
    ]
    list_filter = ["content_type"]


@admin.register(Signature)
class SignatureAdmin(ReadOnlyAdmin):
    list_display = ["signed_at", "signer_name", "meaning", "content_type", "object_id"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "kind", "title", "read_at"]
    list_filter = ["kind"]


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    """Read-only: a token is created and revoked by its owner on *My settings*. The digest is
    not shown."""

    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "user__username"]
    fields = readonly_fields = (
        "name",
        "user",
        "prefix",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
