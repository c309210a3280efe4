"""Counts for the navigation bar: open review tasks (reviewers) and unread notifications.

Computed lazily, once per request, in one query for both counts. ``tasks_for``
also needs the user's reviewer jurisdictions and roles; those are cached on the
user for the request and nearly every view has loaded them already (a cold
request pays for them once: three queries for a reviewer, two for anyone else).
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.db import DatabaseError
from django.db.models import F, Func, IntegerField, Model, QuerySet, Subquery
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from grants.auth import Viewer
from grants.models import User

_M = TypeVar("_M", bound=Model)


def _count(qs: QuerySet[_M]) -> Subquery:
    """``(SELECT COUNT(*) FROM ...)`` for use as an annotation."""
    counted = (
        qs.order_by()
        .annotate(_n=Func(F("pk"), function="COUNT", output_field=IntegerField()))
        .values("_n")
    )
    return Subquery(counted, output_field=IntegerField())


def _nav_counts(user: User) -> dict[str, int | bool]:
    from grants.notifications import Notification
    from grants.selectors import reviewer_jurisdictions
    from workflows.selectors import tasks_for

    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    try:
        if reviewer_jurisdictions(user):
            row = (
                get_user_model()
                .objects.filter(pk=user.pk)
                .annotate(tasks=_count(tasks_for(user)), unread=_count(unread))
                .values("tasks", "unread")
                .first()
            ) or {}
            return {
                "reviewer": True,
                "tasks": row.get("tasks") or 0,
                "unread": row.get("unread") or 0,
            }
        return {"reviewer": False, "tasks": 0, "unread": unread.count()}
    except DatabaseError:  # e.g. while rendering the 500 page: the nav must not fail the page
        return {"reviewer": False, "tasks": 0, "unread": 0}


def nav_counts(request: HttpRequest) -> dict[str, Any]:
    user: Viewer | None = getattr(request, "user", None)  # absent on some error pages
    if user is None or not user.is_authenticated:
        return {"nav_task_count": 0, "nav_unread_count": 0, "nav_is_reviewer": False}
    cache: dict[str, dict[str, int | bool]] = {}

    def get(key: str) -> int | bool:
        if "counts" not in cache:
            cache["counts"] = _nav_counts(user)
        return cache["counts"][key]

    return {
        "nav_task_count": SimpleLazyObject(lambda: get("tasks")),
        "nav_unread_count": SimpleLazyObject(lambda: get("unread")),
        "nav_is_reviewer": SimpleLazyObject(lambda: get("reviewer")),
    }
