"""Authentication: the demo password works only where demo logins are allowed (DEBUG or tests).

Also the two user types the rest of the code is written against:

- ``Viewer``: whoever asks, signed in or not (``request.user`` before a login check).
  Visibility selectors take a viewer: an anonymous one sees nothing.
- ``AuthenticatedRequest``: a request behind ``login_required`` or the API's
  authentication, whose ``user`` is a ``User`` (the pattern django-stubs documents).
  Only an annotation: pages and endpoints receive Django's ``HttpRequest`` as ever.
"""

from __future__ import annotations

from typing import Any, TypeAlias, TypeGuard

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest

from grants.models import User

DEMO_PASSWORD = "demo-pass-2026"

Viewer: TypeAlias = User | AnonymousUser


class AuthenticatedRequest(HttpRequest):
    user: User


def signed_in(user: Viewer | None) -> TypeGuard[User]:
    """What ``user.is_authenticated`` says, False for None too; tells mypy it is a ``User``."""
    return bool(getattr(user, "is_authenticated", False))


class FundflowBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if password == DEMO_PASSWORD and not settings.FUNDFLOW_ALLOW_DEMO_LOGIN:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
