"""The raw-ORM floor of one review decision: the statements a decision must make, no more.

In one transaction: lock the process's open review task (``SELECT … FOR UPDATE``), update
it (done, owner, decision in its data), insert the audit entry, insert the next task (the
next level's review task, or the end after the last level) and its link to the task
decided (viewflow keeps the link in a table of its own). No rules, no routing, no checks,
no notification: what the review chain costs beyond this is what the chain does.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from grants import auditkeys
from grants.audit import AuditEntry
from grants.auditchain import entry_mac
from grants.models import User
from workflows.flows import ReviewFlow

CHAIN = ("district", "city", "region")
OPEN = (STATUS.NEW, STATUS.ASSIGNED)


def floor_decide(*, process_id: int, actor: User, decision: str = "approve") -> int | None:
    """Decide the open review task of ``process_id``; the next task's id, None when none was open."""
    now = timezone.now()
    with transaction.atomic():
        task = (
            Task.objects.select_for_update()
            .filter(process_id=process_id, flow_task=ReviewFlow.review, status__in=OPEN)
            .only("id", "data")
            .first()
        )
        if task is None:
            return None
        data: dict[str, Any] = {**task.data, "decision": decision, "decided_by": actor.pk}
        Task.objects.filter(pk=task.pk).update(
            status=STATUS.DONE, owner=actor, finished=now, data=data
        )
        entry = AuditEntry(
            at=now,
            action="review.decision",
            object_type="viewflow.process",
            object_id=str(process_id),
            actor=actor,
            actor_name=actor.username,
            role="reviewer",
            level=data.get("level", ""),
            data={"decision": decision, "task": task.pk},
        )
        entry.key_id, key = auditkeys.current_hmac_key()  # keyed like every entry: no statement
        entry.mac = entry_mac(key, entry.payload())
        entry.save()
        index = int(data.get("level_index", 0)) + 1
        if index < len(CHAIN):
            following = Task(
                process_id=process_id,
                flow_task=ReviewFlow.review,
                flow_task_type="HUMAN",
                status=STATUS.NEW,
                data={
                    "level": CHAIN[index],
                    "level_index": index,
                    "deadline": data.get("deadline"),
                    "round": data.get("round", 1),
                },
            )
        else:
            following = Task(
                process_id=process_id,
                flow_task=ReviewFlow.end,
                flow_task_type="END",
                status=STATUS.DONE,
                finished=now,
            )
        following.save()
        Task.previous.through.objects.create(from_task_id=following.pk, to_task_id=task.pk)
    return following.pk
