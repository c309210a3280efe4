"""What the review flow's nodes do to the application while a round runs: a level's task
opens (the application moves to that level, its reviewers are told), a deadline is
computed, a level runs late. ``workflows.flows`` calls these; they never import the flow,
so the lifecycle (which drives the flow) and the flow do not import each other.
"""

from __future__ import annotations

import datetime as dt

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
DECISIONS = ("approve", "return", "reject")
OUTCOMES = {"approve": "approved", "return": "returned", "reject": "rejected"}


def review_deadline_for(task: Task) -> dt.datetime:
    process = ReviewProcess.objects.select_related("application__program").get(pk=task.process_id)
    days = process.application.program.deadline_days(task.data["level"])
    return deadline_after(task.created, days)


def task_deadline(task: Task) -> dt.datetime | None:
    raw = (task.data or {}).get("deadline")
    return dt.datetime.fromisoformat(raw) if raw else None


def task_is_overdue(task: Task, now: dt.datetime | None = None) -> bool:
    deadline = task_deadline(task)
    return bool(task.data.get("overdue")) or (
        deadline is not None and (now or timezone.now()) > deadline
    )


def task_opened(task: Task) -> None:
    """A level's task exists: the application is now at that level; its reviewers are told."""
    process = ReviewProcess.objects.select_related(
        "application__organization__district", "application__program"
    ).get(pk=task.process_id)
    application = process.application
    level = task.data["level"]
    deadline = review_deadline_for(task)
    task.data["deadline"] = deadline.isoformat()
    task.data["round"] = process.round
    task.save(update_fields=["data"])
    from_level = application.level
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
            "from_level": from_level,
            "deadline": deadline.isoformat(),
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
