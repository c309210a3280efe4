"""A review process started under the earlier graph (two If gateways and a timer task per
review) decides, routes and ends under the new one after the data migration."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS

from grants.models import Application, User
from tests.support.factories import OrganizationFactory, SubmittedApplicationFactory
from tests.support.personas import APPLICANT
from workflows.lifecycle import decide
from workflows.models import ReviewProcess

MIGRATION = importlib.import_module("workflows.migrations.0002_one_gateway_no_timer")
OLD = "workflows/flows.ReviewFlow."


def _old_rows(process: ReviewProcess, review: Task) -> None:
    """What the earlier graph left beside an open review task: a scheduled timer, and the
    finished gateways of an earlier decision; the review task's data without due_utc."""
    now = timezone.now()
    data = {k: v for k, v in review.data.items() if k not in ("due_utc", "overdue")}
    Task.objects.filter(pk=review.pk).update(data=data)
    with connection.cursor() as cursor:  # the nodes no longer exist: rows, not objects
        for node, status, task_type in (
            ("review__timeout", "SCHEDULED", "TIMER"),
            ("is_approved", "DONE", "EXCLUSIVE_GATEWAY"),
            ("has_more_levels", "DONE", "EXCLUSIVE_GATEWAY"),
        ):
            cursor.execute(
                f"INSERT INTO {Task._meta.db_table} (flow_task, flow_task_type, status, created, "
                "finished, token, process_id, data, owner_permission, external_task_id) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    OLD + node,
                    task_type,
                    status,
                    now,
                    now if status == "DONE" else None,
                    "start",
                    process.pk,
                    "{}",
                    "",
                    "",
                ],
            )
        through = Task.previous.through._meta.db_table
        cursor.execute(
            f"SELECT id FROM {Task._meta.db_table} WHERE flow_task = %s", [OLD + "review__timeout"]
        )
        timer = cursor.fetchone()[0]
        cursor.execute(
            f"INSERT INTO {through} (from_task_id, to_task_id) VALUES (%s, %s)", [timer, review.pk]
        )


@pytest.mark.django_db(transaction=True)
def test_a_process_of_the_earlier_graph_finishes_under_the_new_one(demo):
    org = OrganizationFactory(name="旧流程测试有限公司", members=[APPLICANT])
    app = SubmittedApplicationFactory(organization=org, tag="OLD-1")
    process = ReviewProcess.objects.get(application=app)
    review = Task.objects.get(process=process, flow_task=f"{OLD}review", status="NEW")
    _old_rows(process, review)
    assert Task.objects.filter(process=process).exclude(flow_task__startswith=OLD).count() == 0

    class Editor:  # what RunPython hands the function: the connection
        pass

    editor = Editor()
    editor.connection = connection
    MIGRATION.forwards(apps, editor)

    names = set(Task.objects.filter(process=process).values_list("flow_task", flat=True))
    assert not names & {OLD + n for n in ("review__timeout", "is_approved", "has_more_levels")}
    moved = Task.objects.get(pk=review.pk)
    assert moved.data["due_utc"].endswith("Z") and moved.data["overdue"] is False

    for name in ("reviewer-tianshan", "reviewer-city", "reviewer-region"):
        decide(application=app, actor=User.objects.get(username=name), decision="approve")
    assert Application.objects.get(pk=app.pk).status in ("approved", "awarded")
    assert ReviewProcess.objects.get(pk=process.pk).status == PROCESS.DONE
