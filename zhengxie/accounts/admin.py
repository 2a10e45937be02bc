from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from zhengxie.accounts import access
from zhengxie.accounts.models import ApiToken, AuditLog, RoleGrant, User


class RoleGrantInline(admin.TabularInline):
    model = RoleGrant
    extra = 0
    autocomplete_fields = ["committee", "handling_unit"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "display_name", "is_active", "is_staff", "last_login"]
    search_fields = ["username", "display_name"]
    fieldsets = (*BaseUserAdmin.fieldsets, ("联系方式", {"fields": ["display_name", "mobile"]}))  # type: ignore[operator]
    inlines = [RoleGrantInline]


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    """Read-only: nobody edits the trail, not even a superuser."""

    list_display = ["at", "actor_label", "ip", "action", "object_type", "object_repr", "result"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_label", "object_repr", "object_id"]
    list_select_related = ["committee"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    # Only auditors read the trail, and only their committees' rows; a superuser is not an auditor.
    def has_view_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return bool(access.audit_committees(request.user))

    def has_module_permission(self, request):  # type: ignore[no-untyped-def]
        return self.has_view_permission(request)

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return super().get_queryset(request).filter(committee_id__in=access.audit_committees(request.user))


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
