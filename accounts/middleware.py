"""Middleware of accounts: CSP on pages, idle sessions, the second factor of staff."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import quote

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse

from grants import second_factor
from grants.models import User

# Pushing a session's expiry costs a write: at most once a minute.
TOUCH_EVERY_SECONDS = 60
TOUCHED = "_fundflow_touched"


class PageCSPMiddleware(CSPMiddleware):
    """django-csp's header, on HTML pages only.

    JSON needs none, and a policy on a PDF or an attachment answer would only meet the
    browser's own PDF viewer (headless Chromium's stalls under ``object-src 'none'``).
    """

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if not str(response.get("Content-Type", "")).startswith("text/html"):
            return response
        result: HttpResponseBase = super().process_response(request, response)
        return result


class SessionIdleMiddleware:
    """A signed-in session ends after ``SESSION_IDLE_MINUTES`` without a request.

    ``SESSION_COOKIE_AGE`` is the idle time; each request pushes the expiry (in the session
    store and the cookie), but writes at most once a minute.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        session = getattr(request, "session", None)
        if session is not None and request.user.is_authenticated:
            now = int(time.time())
            touched = session.get(TOUCHED)
            if not isinstance(touched, int) or now - touched >= TOUCH_EVERY_SECONDS:
                session[TOUCHED] = now
        return self.get_response(request)


# While the second step is missing, these paths stay open (the second-factor pages, logout,
# the language switch, static files).
OPEN_PATHS = ("/account/two-factor/", "/logout/", "/i18n/", "/jsi18n/", "/static/")


class SecondFactorMiddleware:
    """Staff who must use a second factor and have not yet given it this session.

    Pages send them to the code prompt (or to enrolment when they have no authenticator
    yet); the API sees no session login for them (401) — a bearer token issued with a code
    still works.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if settings.FUNDFLOW_STAFF_2FA:
            user = request.user
            if (
                isinstance(user, User)  # the lazy request.user passes as its class
                and not _is_verified(request)
                and second_factor.second_factor_required(user)
            ):
                if request.path.startswith("/api/"):
                    request.user = AnonymousUser()
                elif not request.path.startswith(OPEN_PATHS):
                    enrolled = second_factor.has_second_factor(user)
                    target = reverse("two-factor-verify" if enrolled else "two-factor-setup")
                    return redirect(f"{target}?next={quote(request.get_full_path())}")
        return self.get_response(request)


def _is_verified(request: HttpRequest) -> bool:
    check = getattr(request.user, "is_verified", None)
    return bool(check()) if callable(check) else False
