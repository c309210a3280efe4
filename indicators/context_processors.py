"""``nav_is_applicant`` and ``nav_is_staff``: which of the portal and the dashboard the nav shows."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject


def nav_roles(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_is_applicant": False, "nav_is_staff": False}
    from grants.models import Role
    from grants.selectors import has_role
    from indicators.views import is_staff

    return {
        "nav_is_applicant": SimpleLazyObject(lambda: has_role(user, Role.APPLICANT)),
        "nav_is_staff": SimpleLazyObject(lambda: is_staff(user)),
    }
