"""The second login step: enrolment at the first login, a code at every login, recovery codes."""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from zhengxie.accounts.audit import audit_log
from zhengxie.accounts.models import User
from zhengxie.accounts.twofactor import services
from zhengxie.accounts.twofactor.forms import CodeForm

WRONG_CODE = "验证码错误或已使用过，请输入验证器中当前显示的6位数字，或一个未用过的恢复码。"
PENDING_GONE = "登录已超时，请重新输入用户名和密码。"


def _locked(request: HttpRequest, user: User) -> HttpResponse | None:
    if AxesProxyHandler.is_locked(request, {"username": user.username}):
        services.cancel(request)
        return render(request, "accounts/locked.html", status=429)
    return None


def _safe_next(request: HttpRequest, url: str) -> str:
    if url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return "/"


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    user = services.pending_user(request)
    if user is None:
        messages.info(request, PENDING_GONE)
        return redirect("accounts:login")
    factor = services.confirmed_factor(user)
    if factor is None:
        return redirect("accounts:otp_setup")
    if (locked := _locked(request, user)) is not None:
        return locked
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        kind = services.check_code(factor, form.cleaned_data["code"])
        if kind is not None:
            next_url = services.finish(request, user)
            if kind == "recovery":
                audit_log(action="update", obj=user, actor=user, result="使用恢复码登录")
                messages.warning(
                    request,
                    f"您使用了一个恢复码登录，还剩{factor.recovery_codes_left}个。恢复码用完前请重新生成。",
                )
            return redirect(_safe_next(request, next_url))
        form.add_error("code", WRONG_CODE)
        # Counted with wrong passwords: five failures of either kind lock the account (django-axes).
        user_login_failed.send(
            sender=__name__,
            credentials={"username": user.username, "second_factor": True},
            request=request,
        )
        if getattr(request, "axes_locked_out", False):
            services.cancel(request)
    return render(request, "accounts/otp_verify.html", {"form": form, "pending": user})


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    user = services.pending_user(request)
    if user is None:
        messages.info(request, PENDING_GONE)
        return redirect("accounts:login")
    factor = services.start_enrolment(user)
    if factor.confirmed_at is not None:
        return redirect("accounts:otp_verify")
    if (locked := _locked(request, user)) is not None:
        return locked
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = services.confirm_enrolment(factor, form.cleaned_data["code"])
        if codes is not None:
            audit_log(action="update", obj=user, actor=user, result="绑定动态口令验证器")
            next_url = services.finish(request, user)
            request.session[services.NEW_CODES_KEY] = {"codes": codes, "next": _safe_next(request, next_url)}
            return redirect("accounts:otp_codes")
        # The secret is on this very page, so a wrong code here is a typo, not a guess: no lockout count.
        form.add_error("code", "验证码不正确。请确认手机时间准确，并输入验证器中当前显示的6位数字。")
    uri = services.provisioning_uri(factor)
    return render(
        request,
        "accounts/otp_setup.html",
        {
            "form": form,
            "pending": user,
            "secret": services.grouped(factor.secret),
            "uri": uri,
            "qr": services.qr_data_uri(uri),
        },
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes once (after enrolment or on request); otherwise how many are left."""
    factor = services.confirmed_factor(request.user)  # type: ignore[arg-type]
    if factor is None:
        raise Http404("未启用双因素认证")
    if request.method == "POST":
        new = services.regenerate_recovery_codes(factor)
        audit_log(action="update", obj=request.user, result="重新生成恢复码")  # type: ignore[arg-type]
        request.session[services.NEW_CODES_KEY] = {"codes": new, "next": "/"}
        return redirect("accounts:otp_codes")
    shown = request.session.pop(services.NEW_CODES_KEY, None)
    return render(
        request,
        "accounts/otp_codes.html",
        {
            "new_codes": (shown or {}).get("codes"),
            "next": (shown or {}).get("next") or "/",
            "left": factor.recovery_codes_left,
        },
    )
