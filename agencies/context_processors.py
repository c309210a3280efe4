"""``nav_is_agency``: the "redeem a voucher" link in the navigation bar for people acting for an
agency in the registry. Lazy, and the template asks only applicants (the role comes from the
per-request cache), so other pages pay no query."""

from __future__ import annotations

from django.db import DatabaseError
from django.utils.functional import SimpleLazyObject


def _acts_for_agency(user) -> bool:
    from agencies.selectors import agencies_acted_for

    try:
        return agencies_acted_for(user).exists()
    except DatabaseError:  # e.g. while rendering the 500 page: the nav must not fail the page
        return False


def nav_agency(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_is_agency": False}
    return {"nav_is_agency": SimpleLazyObject(lambda: _acts_for_agency(user))}
