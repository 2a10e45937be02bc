"""Login, logout, the role-based home page and the auditor's view of the audit trail."""

from __future__ import annotations

from datetime import datetime, time

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from zhengxie.accounts import access, queries
from zhengxie.accounts.forms import AuditFilterForm, LoginForm
from zhengxie.accounts.models import AuditLog
from zhengxie.accounts.twofactor import services as twofactor


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form: LoginForm) -> HttpResponse:
        user = form.get_user()
        if not twofactor.required_for(user):
            return super().form_valid(form)
        # The password was right, but office, admin and auditor accounts are not logged in before a code.
        twofactor.begin(self.request, user, self.get_success_url())
        if twofactor.confirmed_factor(user) is None:
            return redirect("accounts:otp_setup")
        return redirect("accounts:otp_verify")


login_view = LoginView.as_view()


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = "/"

    def get_context_data(self, **kwargs):  # type: ignore[no-untyped-def]
        context = super().get_context_data(**kwargs)
        context["has_second_factor"] = twofactor.confirmed_factor(self.request.user) is not None
        return context

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        from django.contrib import messages

        messages.success(self.request, "密码已修改。")
        return super().form_valid(form)


password_change = PasswordChangeView.as_view()
logout_view = auth_views.LogoutView.as_view()


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """One panel per grant the user holds, each with live counts of what that role may see."""
    panels = queries.home_panels(request.user)  # type: ignore[arg-type]
    return render(request, "accounts/home.html", {"panels": panels})


@login_required
@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    committees = access.audit_committees(request.user)  # type: ignore[arg-type]
    if not committees:
        raise Http404("无权查看审计日志")
    form = AuditFilterForm(request.GET or None)
    rows = AuditLog.objects.filter(committee_id__in=committees).select_related("committee")
    if form.is_valid():
        data = form.cleaned_data
        if data["action"]:
            rows = rows.filter(action=data["action"])
        if data["actor"]:
            rows = rows.filter(actor_label__icontains=data["actor"])
        if data["object_type"]:
            rows = rows.filter(object_type__icontains=data["object_type"])
        tz = timezone.get_current_timezone()
        if data["date_from"]:
            rows = rows.filter(at__gte=timezone.make_aware(datetime.combine(data["date_from"], time.min), tz))
        if data["date_to"]:
            rows = rows.filter(at__lte=timezone.make_aware(datetime.combine(data["date_to"], time.max), tz))
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "accounts/audit_list.html", {"form": form, "page": page, "query": query.urlencode()}
    )
