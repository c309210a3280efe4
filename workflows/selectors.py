"""Reading the review chain: open tasks, and the tasks a reviewer may decide now."""

from __future__ import annotations

import datetime as dt

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from viewflow.workflow.models import Task

from grants.audit import AuditEntry
from grants.models import Application, Membership, User
from grants.selectors import applications_visible_to, reviewer_jurisdictions
from workflows.flows import ReviewFlow
from workflows.review import OPEN, due_utc


def review_tasks() -> QuerySet[Task]:
    return Task.objects.filter(flow_task=ReviewFlow.review)


def open_review_task(application: Application) -> Task | None:
    return (
        review_tasks()
        .filter(process__reviewprocess__application=application, status__in=OPEN)
        .order_by("-id")
        .first()
    )


def tasks_for(user: User) -> QuerySet[Task]:
    """Open review tasks ``user`` may decide now: level and jurisdiction match, no separation-of-duties bar."""
    places = reviewer_jurisdictions(user)
    if not places:
        return Task.objects.none()
    where = Q()
    for place in places:
        where |= Q(
            data__level=place.level,
            process__reviewprocess__application__organization__district__path__startswith=place.path,
        )
    decided_elsewhere = AuditEntry.objects.filter(
        application_id=OuterRef("process__reviewprocess__application_id"),
        actor=user,
        action="review.decision",
    ).exclude(level=OuterRef("task_level"))
    member = Membership.objects.filter(
        user=user, organization_id=OuterRef("process__reviewprocess__application__organization_id")
    )
    return (
        review_tasks()
        .filter(status__in=OPEN)
        # visibility comes from the one selector; the level/jurisdiction match narrows it to "may act"
        .filter(process__reviewprocess__application__in=applications_visible_to(user).values("pk"))
        .annotate(task_level=KT("data__level"))
        .filter(where)
        .exclude(Exists(member))
        .exclude(Exists(decided_elsewhere))
        .select_related(
            "process__reviewprocess__application__program",
            "process__reviewprocess__application__organization__district",
        )
        .order_by("created", "id")
    )


def with_overdue(tasks: QuerySet[Task], now: dt.datetime) -> QuerySet[Task]:
    """``is_overdue`` on each task: flagged by the sweep, or past its deadline already."""
    return tasks.annotate(
        due=Cast(KT("data__due_utc"), CharField()),
    ).annotate(
        is_overdue=Case(
            When(Q(data__overdue=True) | Q(due__lt=due_utc(now)), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )
