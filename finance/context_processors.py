"""``nav_is_finance``: show the finance link to finance officers, auditors and administrators."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject


def nav_finance(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_is_finance": False}
    from grants.models import Role
    from grants.selectors import has_role

    return {
        "nav_is_finance": SimpleLazyObject(
            lambda: has_role(user, Role.FINANCE, Role.AUDITOR, Role.ADMIN)
        )
    }
