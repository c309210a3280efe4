"""Authentication: the demo password works only where demo logins are allowed (DEBUG or tests)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.backends import ModelBackend

DEMO_PASSWORD = "demo-pass-2026"


class FundflowBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if password == DEMO_PASSWORD and not settings.FUNDFLOW_ALLOW_DEMO_LOGIN:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
