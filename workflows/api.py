"""API v1: review tasks and decisions; the caller's notifications."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema
from viewflow.workflow.models import Task

from config.apikit import ERRORS, Page, StatusMinimalOut, minimal_preferred, paginate
from grants.api import ApplicationOut
from grants.auth import AuthenticatedRequest
from grants.errors import Forbidden
from grants.notifications import Notification
from grants.presenters import ApplicationDict, application_dict, local
from grants.selectors import reviewer_jurisdictions
from workflows import lifecycle
from workflows.review import task_deadline, task_is_overdue
from workflows.selectors import tasks_for

router = Router(tags=["review"])


class DecisionIn(Schema):
    decision: str
    comment: str = ""
    task: int | None = None


class TaskOut(Schema):
    id: int
    application: int
    number: str
    program: str
    organization_name: str
    district: str
    level: str
    round: int
    created: dt.datetime
    deadline: dt.datetime | None
    overdue: bool
    award_amount: str | None


class TaskPage(Page):
    results: list[TaskOut]


class NotificationOut(Schema):
    id: int
    kind: str
    application: int | None
    subject: str
    body: str
    created_at: dt.datetime
    read: bool


class NotificationPage(Page):
    results: list[NotificationOut]


def task_dict(task: Task, now: dt.datetime | None = None) -> dict[str, Any]:
    app = task.process.reviewprocess.application
    deadline = task_deadline(task)
    return {
        "id": task.pk,
        "application": app.pk,
        "number": app.number,
        "program": app.program.code,
        "organization_name": app.organization.name,
        "district": app.organization.district_id,
        "level": task.data["level"],
        "round": task.data.get("round", 1),
        "created": local(task.created),
        "deadline": local(deadline),
        "overdue": task_is_overdue(task, now),
        "award_amount": None if app.award_amount is None else f"{app.award_amount:.2f}",
    }


@router.get(
    "/tasks",
    response={200: TaskPage, 403: ERRORS[403]},
    summary="Open review tasks I may decide now",
)
def task_list(
    request: AuthenticatedRequest, program: str = "", overdue: bool | None = None
) -> dict[str, Any]:
    if not reviewer_jurisdictions(request.user):
        raise Forbidden(_("Only reviewers have review tasks."))
    tasks = tasks_for(request.user)
    if program:
        tasks = tasks.filter(process__reviewprocess__application__program__code=program)
    now = timezone.now()
    if overdue is not None:
        # the deadline lives in the task's data; a page is at most 200 rows, so filter after loading
        rows = [t for t in tasks if task_is_overdue(t, now) == overdue]
        return paginate(request, _ListQuery(rows), lambda t: task_dict(t, now))
    return paginate(request, tasks, lambda t: task_dict(t, now))


class _ListQuery(list[Task]):
    # paginate asks for count() as of a QuerySet; list.count(value) counts one value.
    def count(self) -> int:  # type: ignore[override]
        return len(self)


@router.post(
    "/applications/{application_id}/decisions",
    response={200: ApplicationOut | StatusMinimalOut, **ERRORS},
    summary="Approve, return (comment required) or reject (comment required) at the current level",
    description=(
        "Answers with the application as GET returns it; with the request header "
        "`Prefer: return=minimal` only `{id, status, level}` (and `Preference-Applied`)."
    ),
)
def decision_create(
    request: AuthenticatedRequest, application_id: int, payload: DecisionIn, response: HttpResponse
) -> ApplicationDict | dict[str, object]:
    app = lifecycle.decide(
        application=application_id,  # visibility is decided once, on the locked row
        actor=request.user,
        decision=payload.decision,
        comment=payload.comment,
        task_id=payload.task,
    )
    if minimal_preferred(request, response):
        return {"id": app.pk, "status": app.status, "level": app.level or None}
    return application_dict(app)


@router.get(
    "/notifications", response=NotificationPage, tags=["notifications"], summary="My notifications"
)
def notification_list(request: AuthenticatedRequest, unread: bool = False) -> dict[str, Any]:
    qs = Notification.objects.filter(user=request.user)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return paginate(
        request,
        qs,
        lambda n: {
            "id": n.pk,
            "kind": n.kind,
            "application": n.application_id,
            "subject": n.subject,
            "body": n.body,
            "created_at": local(n.created_at),
            "read": n.read_at is not None,
        },
    )


@router.post(
    "/notifications/read", tags=["notifications"], summary="Mark all my notifications read"
)
def notification_read_all(request: AuthenticatedRequest) -> dict[str, int]:
    count = Notification.objects.filter(user=request.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return {"marked": count}
