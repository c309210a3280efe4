"""Review processes started under the earlier graph finish under the new one.

The earlier ``ReviewFlow`` had, per decision, two or three If gateways (``is_approved``,
``has_more_levels``, ``is_returned``) and, per review task, a non-interrupting timer
(``review__timeout``) whose firing ran ``overdue`` → ``overdue_end``. The new graph has one
Switch (``route``) and no timer: a review task carries its deadline (``due_utc``) and
whether it was flagged (``overdue``) in its data, and the beat's sweep flags late ones.

So, for rows of the earlier graph:
- the gateway rows (all finished) are renamed to the Switch that replaced them;
- the timer rows and the overdue branch they started are removed (raw SQL: the nodes no
  longer exist, so the rows cannot be loaded as objects). What they recorded stays: the
  review task's ``overdue`` flag and the ``review.overdue`` audit entry;
- every open review task gets ``due_utc`` from its deadline and ``overdue`` as it was.

A process waiting at a level then decides, routes and ends under the new graph: its End
no longer waits for a pending timer task.
"""

from __future__ import annotations

import datetime as dt

from django.db import migrations

PREFIX = "workflows/flows.ReviewFlow."
GATEWAYS = [PREFIX + name for name in ("is_approved", "has_more_levels", "is_returned")]
TIMER_ROWS = [PREFIX + name for name in ("review__timeout", "overdue", "overdue_end")]


def due_utc(deadline: str) -> str:
    moment = dt.datetime.fromisoformat(deadline)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def forwards(apps, schema_editor):
    Task = apps.get_model("viewflow", "Task")
    tasks = Task._meta.db_table
    previous = Task._meta.get_field("previous").remote_field.through._meta.db_table
    marks = ", ".join(["%s"] * len(TIMER_ROWS))
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {previous} WHERE from_task_id IN "
            f"(SELECT id FROM {tasks} WHERE flow_task IN ({marks})) "
            f"OR to_task_id IN (SELECT id FROM {tasks} WHERE flow_task IN ({marks}))",
            TIMER_ROWS + TIMER_ROWS,
        )
        cursor.execute(f"DELETE FROM {tasks} WHERE flow_task IN ({marks})", TIMER_ROWS)
    Task.objects.filter(flow_task__in=GATEWAYS).update(
        flow_task=PREFIX + "route", flow_task_type="SWITCH"
    )
    for task in Task.objects.filter(flow_task=PREFIX + "review", status__in=("NEW", "ASSIGNED")):
        data = dict(task.data or {})
        if data.get("deadline") and not data.get("due_utc"):
            data["due_utc"] = due_utc(data["deadline"])
        data["overdue"] = bool(data.get("overdue"))
        Task.objects.filter(pk=task.pk).update(data=data)


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0001_initial"),
        ("viewflow", "0015_task_scheduled"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
