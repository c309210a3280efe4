"""Login limits on every login path (web, admin, API token), on top of django-axes.

axes records each failed attempt (``AccessAttempt`` per user, address and browser; one
``AccessFailureLog`` row per failure) and refuses a locked-out login before the password is
checked (``axes.backends.AxesStandaloneBackend``, first in ``AUTHENTICATION_BACKENDS``).
What fundflow adds:

- two thresholds: ``LOGIN_FAILURE_LIMIT`` for one user from one address, the higher
  ``LOGIN_USER_FAILURE_LIMIT`` for one user from any address (``LoginLimitHandler``);
- a throttle per address, never a lockout: more than ``LOGIN_ADDRESS_FAILURE_LIMIT``
  failures in ``LOGIN_ADDRESS_WINDOW_MINUTES`` refuse that address's logins until the window
  slides on — one person behind a bureau's NAT cannot lock the bureau out for long;
- the client address behind our own proxies (``TRUSTED_PROXY_COUNT``, ``client_address``);
- the answer: a page, or problem+json on the API, in the reader's language, 429 with
  ``Retry-After`` (``accounts.views.lockout_response``).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessFailureLog
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone


def client_address(request: HttpRequest) -> str:
    """The address of the client, as the outermost of our ``TRUSTED_PROXY_COUNT`` proxies saw it.

    Each proxy appends the address it received the request from to ``X-Forwarded-For``, so
    with N proxies the client is the N-th entry from the right; anything left of it was
    written by the client and is not trusted. Without proxies the header is ignored.
    """
    remote = str(request.META.get("REMOTE_ADDR") or "")
    proxies = settings.FUNDFLOW_TRUSTED_PROXIES
    if proxies:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if hops:
            candidate = hops[-proxies] if len(hops) >= proxies else hops[0]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    return remote


def address_failures(address: str | None) -> int:
    """Failed logins from ``address`` within the throttle window."""
    if not address:
        return 0
    since = timezone.now() - dt.timedelta(minutes=settings.FUNDFLOW_LOGIN_ADDRESS_WINDOW_MINUTES)
    return int(AccessFailureLog.objects.filter(ip_address=address, attempt_time__gte=since).count())


def address_throttled(address: str | None) -> bool:
    return address_failures(address) >= settings.FUNDFLOW_LOGIN_ADDRESS_FAILURE_LIMIT


class LoginLimitHandler(AxesDatabaseHandler):  # type: ignore[misc]
    """axes' database handler with a second, higher threshold per user and the address throttle.

    ``AXES_LOCKOUT_PARAMETERS`` is ``[["username", "ip_address"], "username"]``: the first
    count is held against ``LOGIN_FAILURE_LIMIT``, the second against
    ``LOGIN_USER_FAILURE_LIMIT``; ``get_failures`` answers in units of the first limit
    (axes compares it with ``AXES_FAILURE_LIMIT``).
    """

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        counts = [
            qs.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for qs in self.get_user_attempts(request, credentials)
        ]
        per_address = counts[0] if counts else 0
        per_user = counts[1] if len(counts) > 1 else 0
        limit = settings.FUNDFLOW_LOGIN_FAILURE_LIMIT
        scaled = per_user * limit // settings.FUNDFLOW_LOGIN_USER_FAILURE_LIMIT
        return int(max(per_address, scaled))

    def is_locked(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> bool:
        if super().is_locked(request, credentials):
            return True
        return address_throttled(getattr(request, "axes_ip_address", None))


class LoginLimitBackend(AxesStandaloneBackend):  # type: ignore[misc]
    """axes' check before any password: refuses a locked-out login (first backend).

    A login without a request (a management command, Django's test client ``login``) has no
    address and cannot be repeated over HTTP: it is not limited.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        super().authenticate(request, username=username, password=password, **kwargs)
        return None


def failure_limit(request: HttpRequest | None = None, credentials: Any = None) -> int:
    """``AXES_FAILURE_LIMIT``: read at each login, so a changed setting takes effect at once."""
    return int(settings.FUNDFLOW_LOGIN_FAILURE_LIMIT)


def cool_off(request: HttpRequest | None = None) -> dt.timedelta:
    """``AXES_COOLOFF_TIME``: how long a lockout lasts after the last counted failure."""
    return dt.timedelta(minutes=settings.FUNDFLOW_LOGIN_LOCKOUT_MINUTES)
