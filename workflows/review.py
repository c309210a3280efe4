"""What the review flow's nodes do to the application while a round runs: a level's task
opens with its level and deadline in its data (the application moves to that level, its
reviewers are told), and the beat's sweep flags a level that runs late.
``workflows.flows`` calls these; they never import the flow, so the lifecycle (which
drives the flow) and the flow do not import each other.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import CharField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from grants.audit import audit_record
from grants.calendar import deadline_after
from grants.models import Status, User
from grants.notifications import Notification, notify
from grants.reviewers import administrators, level_label, reviewers_at
from grants.transitions import transition
from workflows.models import ReviewProcess

OPEN = (STATUS.NEW, STATUS.ASSIGNED)
# the review node's name as task rows store it (workflows.flows.ReviewFlow.review)
REVIEW_NODE = "workflows/flows.ReviewFlow.review"
DECISIONS = ("approve", "return", "reject")
OUTCOMES = {"approve": "approved", "return": "returned", "reject": "rejected"}


def review_task_data(process: ReviewProcess, index: int) -> dict[str, Any]:
    """The data a level's task is created with: its level, the round, and its deadline
    (``deadline`` in local time for people, ``due_utc`` for the sweep's comparison).

    ``process.application`` (with its programme) is already loaded by the lifecycle.
    """
    level = process.chain[index]
    days = process.application.program.deadline_days(level)
    deadline = deadline_after(timezone.now(), days)
    return {
        "level": level,
        "level_index": index,
        "round": process.round,
        "deadline": deadline.isoformat(),
        "due_utc": due_utc(deadline),
        "overdue": False,
    }


def due_utc(deadline: dt.datetime) -> str:
    """A deadline as UTC ISO 8601 text, so the database compares it as text, in order."""
    return deadline.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def task_deadline(task: Task) -> dt.datetime | None:
    raw = (task.data or {}).get("deadline")
    return dt.datetime.fromisoformat(raw) if raw else None


def task_is_overdue(task: Task, now: dt.datetime | None = None) -> bool:
    deadline = task_deadline(task)
    return bool(task.data.get("overdue")) or (
        deadline is not None and (now or timezone.now()) > deadline
    )


def task_opened(task: Task, process: ReviewProcess) -> None:
    """A level's task exists: the application is now at that level; its reviewers are told."""
    application = process.application
    level = task.data["level"]
    deadline = dt.datetime.fromisoformat(task.data["deadline"])
    transition(
        application,
        to=Status.IN_REVIEW,
        level=level,
        actor=None,
        role="system",
        action="review.task_created",
        data={
            "task": task.pk,
            "round": process.round,
            "from_level": application.level,
            "deadline": task.data["deadline"],
        },
    )
    notify(
        users=reviewers_at(level, application.organization.district),
        kind=Notification.Kind.NEW_TASK,
        application=application,
        context={
            "level_label": level_label(level),
            "deadline": timezone.localtime(deadline).strftime("%Y-%m-%d"),
        },
    )


def review_deadlines_sweep(now: dt.datetime | None = None) -> int:
    """Flag every open review task past its deadline, once, and tell the level above
    (Celery beat, every ``FUNDFLOW_TIMER_SWEEP_SECONDS``; ``manage.py review_deadlines``).

    One indexed query finds them; each is then flagged in its own transaction under its
    row lock, so two sweepers never flag one task twice.
    """
    now = now or timezone.now()
    due = (
        Task.objects.filter(flow_task=REVIEW_NODE, status__in=OPEN)
        .annotate(due=Cast(KT("data__due_utc"), CharField()))
        .filter(due__lt=due_utc(now), data__overdue=False)
        .values_list("pk", flat=True)
    )
    flagged = 0
    for pk in list(due):
        with transaction.atomic():
            task = Task.objects.select_for_update(of=("self",)).filter(pk=pk).first()
            if task is None or task.status not in OPEN or task.data.get("overdue"):
                continue
            review_overdue(host_task=task)
            flagged += 1
    return flagged


def review_overdue(*, host_task: Task) -> None:
    """A level missed its deadline: flag the task and tell the level above (administrators above the last)."""
    process = ReviewProcess.objects.select_related("application__organization__district").get(
        pk=host_task.process_id
    )
    app = process.application
    level = host_task.data["level"]
    host_task.data["overdue"] = True
    host_task.save(update_fields=["data"])
    index = host_task.data["level_index"]
    recipients: list[User]
    if index + 1 < len(process.chain):
        above_level = process.chain[index + 1]
        recipients = reviewers_at(above_level, app.organization.district)
    else:
        above_level = "admin"
        recipients = administrators()
    audit_record(
        actor=None,
        action="review.overdue",
        obj=app,
        application=app,
        role="system",
        level=level,
        data={
            "task": host_task.pk,
            "deadline": host_task.data.get("deadline"),
            "escalated_to": above_level,
        },
    )
    deadline = task_deadline(host_task)
    notify(
        users=recipients,
        kind=Notification.Kind.OVERDUE,
        application=app,
        context={
            "level_label": level_label(level),
            "deadline": timezone.localtime(deadline).strftime("%Y-%m-%d") if deadline else "",
        },
    )
