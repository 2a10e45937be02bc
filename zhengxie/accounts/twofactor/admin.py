from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from zhengxie.accounts.audit import audit_log
from zhengxie.accounts.twofactor.models import SecondFactor


def _login_through_the_login_page(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """The admin's own login form would open a session after the password alone: use ours instead."""
    return redirect_to_login(request.GET.get("next") or reverse("admin:index"), reverse("accounts:login"))


admin.site.login = _login_through_the_login_page  # type: ignore[method-assign]


@admin.register(SecondFactor)
class SecondFactorAdmin(admin.ModelAdmin):
    """Deleting a row is the reset for a lost phone: the user enrols again at their next login."""

    list_display = ["user", "confirmed_at", "recovery_codes_left", "created_at"]
    search_fields = ["user__username", "user__display_name"]
    fields = ["user", "confirmed_at", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: SecondFactor) -> None:
        audit_log(action="update", obj=obj.user, result="重置双因素认证")
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for factor in queryset.select_related("user"):
            audit_log(action="update", obj=factor.user, result="重置双因素认证")
        super().delete_queryset(request, queryset)
