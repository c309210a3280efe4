"""``nav_is_expert`` and ``nav_expert_open``: the expert's link in the navigation bar and how many
of their assignments wait for a declaration or scores.

The role comes from the per-request role cache (no query for most pages); the count is one
query, made only for experts.
"""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject


def _open_reviews(user) -> int:
    from experts.models import ExpertReview
    from navigation.models import Stage

    return ExpertReview.objects.filter(
        expert__user=user,
        status__in=(ExpertReview.Status.DRAWN, ExpertReview.Status.DECLARED),
        project__navigation__stage=Stage.EXPERT_REVIEW,
    ).count()


def nav_expert(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_is_expert": False, "nav_expert_open": 0}
    from grants.models import Role
    from grants.selectors import has_role

    return {
        "nav_is_expert": SimpleLazyObject(lambda: has_role(user, Role.EXPERT)),
        "nav_expert_open": SimpleLazyObject(lambda: _open_reviews(user)),
    }
