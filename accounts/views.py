"""Account pages: one's account, the second factor, password change and reset, the lockout answer.

Changes go through ``grants.second_factor`` and Django's auth forms; the pages only ask
and show. Every failed second-factor code counts as a failed login (login limits).
"""

from __future__ import annotations

import base64
import math
from typing import Any
from urllib.parse import quote

import segno
from axes.helpers import get_credentials
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.signals import user_login_failed
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from accounts.limits import address_throttled
from config.apikit import problem
from grants import second_factor
from grants.auth import AuthenticatedRequest
from grants.models import User


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


def _verified(request: HttpRequest) -> bool:
    check = getattr(request.user, "is_verified", None)
    return bool(check()) if callable(check) else False


def _code_failed(request: HttpRequest, user: User) -> None:
    """A wrong code is a failed login: it counts toward the login limits."""
    user_login_failed.send(
        sender=__name__, credentials=get_credentials(user.get_username()), request=request
    )


def _locked_out(request: HttpRequest) -> bool:
    return bool(getattr(request, "axes_locked_out", False))


# ---------------------------------------------------------------- the account page


@login_required
def account(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "accounts/account.html",
        {
            "required": second_factor.second_factor_required(user),
            "staff": second_factor.is_staff_member(user),
            "enrolled": second_factor.has_second_factor(user),
            "codes_left": second_factor.recovery_codes_left(user),
            "verified": _verified(request),
            "idle_minutes": settings.FUNDFLOW_SESSION_IDLE_MINUTES,
        },
    )


# ---------------------------------------------------------------- second factor


def _secret_groups(device: Any) -> str:
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@login_required
def two_factor_setup(request: AuthenticatedRequest) -> HttpResponse:
    """Enrol an authenticator app: scan (or type) the key, confirm with the first code."""
    user = request.user
    if second_factor.has_second_factor(user) and not _verified(request):
        return redirect(f"{reverse('two-factor-verify')}?next={quote(_next(request))}")
    device = second_factor.totp_enrol_start(user=user)
    error = ""
    if request.method == "POST":
        codes = second_factor.totp_enrol_confirm(
            user=user, device=device, code=request.POST.get("code", "")
        )
        if codes is not None:
            device.refresh_from_db()
            otp_login(request, device)
            return render(
                request,
                "accounts/recovery_codes.html",
                {"codes": codes, "next": _next(request), "first": True},
            )
        error = _("The code is not correct. Type the 6 digits your app shows now.")
    qr = segno.make(device.config_url, error="m").svg_inline(scale=4, omitsize=False)
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "qr": qr,
            "secret": _secret_groups(device),
            "issuer": settings.OTP_TOTP_ISSUER,
            "error": error,
            "next": _next(request),
            "enrolled": second_factor.has_second_factor(user),
        },
        status=422 if error else 200,
    )


@login_required
def two_factor_verify(request: AuthenticatedRequest) -> HttpResponseBase:
    """The second step of a staff login: a code of the authenticator app or a recovery code."""
    user = request.user
    if _verified(request):
        return redirect(_next(request))
    if not second_factor.has_second_factor(user):
        return redirect(f"{reverse('two-factor-setup')}?next={quote(_next(request))}")
    error = ""
    if request.method == "POST":
        from axes.handlers.proxy import AxesProxyHandler

        credentials = get_credentials(user.get_username())
        if not AxesProxyHandler.is_allowed(request, credentials):
            logout(request)
            return lockout_response(request, None, credentials)
        device = second_factor.second_factor_check(user=user, code=request.POST.get("code", ""))
        if device is not None:
            otp_login(request, device)
            left = second_factor.recovery_codes_left(user)
            if device.__class__.__name__ == "StaticDevice":
                messages.warning(
                    request,
                    _(
                        "You used a recovery code; %(n)d are left. Make new ones on your account page."
                    )
                    % {"n": left},
                )
            return redirect(_next(request))
        _code_failed(request, user)
        if _locked_out(request):
            logout(request)
            return lockout_response(request, None, credentials)
        error = _("The code is not correct or has expired. Type the code your app shows now.")
    return render(
        request,
        "accounts/two_factor_verify.html",
        {"error": error, "next": _next(request)},
        status=422 if error else 200,
    )


@login_required
@require_POST
def recovery_codes_renew(request: AuthenticatedRequest) -> HttpResponse:
    if not second_factor.has_second_factor(request.user) or not _verified(request):
        return redirect("account")
    codes = second_factor.recovery_codes_renew(user=request.user)
    return render(
        request,
        "accounts/recovery_codes.html",
        {"codes": codes, "next": reverse("account"), "first": False},
    )


# ---------------------------------------------------------------- passwords


class LanguagePasswordResetForm(PasswordResetForm):
    """The reset e-mail in the user's own language, with links to SITE_URL."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        user = context.get("user")
        language = getattr(user, "language", None) or settings.LANGUAGE_CODE
        context["site_url"] = settings.FUNDFLOW_SITE_URL
        with translation.override(language):
            super().send_mail(
                subject_template_name,
                email_template_name,
                context,
                from_email,
                to_email,
                html_email_template_name,
            )


class PasswordResetView(auth_views.PasswordResetView):
    form_class = LanguagePasswordResetForm
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Setting a new password by the e-mailed link also lifts a login lockout of that user."""

    def form_valid(self, form: Form) -> HttpResponse:
        response = super().form_valid(form)
        if self.user is not None:
            axes_reset(username=self.user.get_username())
        return response


# ---------------------------------------------------------------- the lockout answer


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponseBase | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """429 with the reason and how long, as a page or (under /api/) as problem+json.

    axes calls this (``AXES_LOCKOUT_CALLABLE``) for a refused or locking login on any path.
    """
    if address_throttled(getattr(request, "axes_ip_address", None)):
        minutes = settings.FUNDFLOW_LOGIN_ADDRESS_WINDOW_MINUTES
        slug = "login-throttled"
        title = _("Too many failed logins from your network")
        detail = _(
            "Too many failed logins came from your network in the last minutes. "
            "Wait %(minutes)d minutes and try again."
        ) % {"minutes": minutes}
    else:
        minutes = settings.FUNDFLOW_LOGIN_LOCKOUT_MINUTES
        slug = "login-locked"
        title = _("This account is locked for a while")
        detail = _(
            "Too many failed logins for this account. It is locked for %(minutes)d minutes; "
            "an administrator can unlock it sooner."
        ) % {"minutes": minutes}
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = problem(429, slug, title, detail)
    else:
        response = render(
            request, "accounts/locked.html", {"title": title, "detail": detail}, status=429
        )
    response["Retry-After"] = str(math.ceil(minutes * 60))
    return response
