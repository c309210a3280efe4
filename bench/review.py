"""Review chain figures: one decision (queries, ms) and one full three-level lifecycle, against a floor.

The floor writes the same rows a three-level lifecycle writes (viewflow task
rows and their links, audit rows, application updates, notifications) with
plain ORM calls and no logic, in the same run; its own baseline is the same
number of bare ``SELECT 1`` round trips.
"""

from __future__ import annotations

import statistics

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from viewflow.workflow.models import Task

from bench.common import Figure, median_ms
from demo.seed import seed_demo
from grants.audit import GENESIS, AuditEntry
from grants.models import Application, Notification, Organization, User
from tests.support.clients import Api, login
from tests.support.factories import OrganizationFactory, SubmittedApplicationFactory
from tests.support.personas import APPLICANT, REVIEW_CHAIN
from workflows.flows import ReviewFlow
from workflows.models import ReviewProcess

REVIEWERS = REVIEW_CHAIN  # reviewer-tianshan, reviewer-city, reviewer-region


def _submitted(count: int, org: Organization, tag: str) -> list[int]:
    """``count`` ¥20,000 cert-subsidy claims of ``org``, submitted (the shared test factory)."""
    return [
        SubmittedApplicationFactory(organization=org, tag=f"{tag}-{i}", fee="20000.00").pk
        for i in range(count)
    ]


def _clients() -> dict[str, Api]:
    return {name: login(name) for name in REVIEWERS}


def _decide(clients: dict[str, Api], reviewer: str, app_id: int) -> None:
    response = clients[reviewer].post(f"/applications/{app_id}/decisions", {"decision": "approve"})
    assert response.status_code == 200, response.content


def _floor_lifecycle(app: Application, process: ReviewProcess, reviewers: list[User]) -> None:
    """Plain ORM writes of the rows one three-level lifecycle leaves behind."""
    now = timezone.now()
    previous = Task.objects.filter(process=process).order_by("id").first()
    with transaction.atomic():
        for index, (level, reviewer) in enumerate(
            zip(["district", "city", "region"], reviewers, strict=True)
        ):
            review = Task.objects.create(
                process=process,
                flow_task=ReviewFlow.review,
                status="DONE",
                data={"level": level, "level_index": index},
                owner=reviewer,
                finished=now,
            )
            review.previous.add(previous)
            timer = Task.objects.create(
                process=process,
                flow_task=ReviewFlow.review__timeout,
                status="CANCELED",
                finished=now,
            )
            timer.previous.add(review)
            gate = Task.objects.create(
                process=process, flow_task=ReviewFlow.is_approved, status="DONE", finished=now
            )
            gate.previous.add(review)
            more = Task.objects.create(
                process=process, flow_task=ReviewFlow.has_more_levels, status="DONE", finished=now
            )
            more.previous.add(gate)
            previous = more
            for action in ("review.task_created", "review.decision"):
                AuditEntry(
                    action=action,
                    object_type="grants.application",
                    object_id=str(app.pk),
                    application=app,
                    level=level,
                    actor=reviewer,
                    prev_hash=GENESIS,
                    hash=f"{app.pk:020d}{index}{action}".ljust(64, "0")[:64],
                ).save()
            Application.objects.filter(pk=app.pk).update(level=level, updated_at=now)
            Notification.objects.create(
                user=reviewer, kind="new_task", application=app, subject="s", body="b"
            )
        end = Task.objects.create(
            process=process, flow_task=ReviewFlow.approved, status="DONE", finished=now
        )
        end.previous.add(previous)
        Task.objects.create(
            process=process, flow_task=ReviewFlow.end, status="DONE", finished=now
        ).previous.add(end)
        Application.objects.filter(pk=app.pk).update(status="approved", level="", updated_at=now)
        AuditEntry(
            action="application.approved",
            object_type="grants.application",
            object_id=str(app.pk),
            application=app,
            prev_hash=GENESIS,
            hash=f"{app.pk:020d}approved".ljust(64, "1")[:64],
        ).save()
        Notification.objects.create(
            user=reviewers[0], kind="approved", application=app, subject="s", body="b"
        )


def run(decisions: int = 30, lifecycles: int = 12) -> list[Figure]:
    seed_demo(timezone.localdate().year)
    org = OrganizationFactory(name="审核基准测试有限公司", members=[APPLICANT])
    clients = _clients()

    # one decision: queries and time (district approval through the API)
    single = _submitted(decisions + 6, org, "RD")
    reviewer = User.objects.get(username="reviewer-tianshan")
    from workflows.lifecycle import decide as decision_record

    with CaptureQueriesContext(connection) as ctx:
        decision_record(
            application=Application.objects.get(pk=single[-1]), actor=reviewer, decision="approve"
        )
    decision_queries = len(ctx.captured_queries)
    decision_ms = median_ms(
        lambda i: _decide(clients, "reviewer-tianshan", single[i]), decisions, warmup=5
    )

    # one full lifecycle: three approvals through the API
    full = _submitted(lifecycles + 2, org, "RL")

    def lifecycle(i: int) -> None:
        for name in REVIEWERS:
            _decide(clients, name, full[i])

    # The final approval queues the award letter; a worker renders it, not the request (the
    # letter has its own figures in bench.letters). Eager Celery would time it here.
    from config.celery import app as celery_app

    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        lifecycle_ms = median_ms(lifecycle, lifecycles, warmup=2)
    finally:
        celery_app.conf.task_always_eager = eager
        celery_app.control.purge()

    # the floor: the same rows by plain ORM calls, on fresh processes
    floor_apps = _submitted(lifecycles + 2, org, "RF")
    people = [User.objects.get(username=n) for n in REVIEWERS]
    processes = {
        p.application_id: p for p in ReviewProcess.objects.filter(application_id__in=floor_apps)
    }
    apps = {a.pk: a for a in Application.objects.filter(pk__in=floor_apps)}
    with CaptureQueriesContext(connection) as ctx:
        _floor_lifecycle(apps[floor_apps[0]], processes[floor_apps[0]], people)
    floor_statements = len(ctx.captured_queries)
    floor_ms = median_ms(
        lambda i: _floor_lifecycle(apps[floor_apps[i + 1]], processes[floor_apps[i + 1]], people),
        lifecycles,
        warmup=0,
    )

    def round_trips(i: int) -> None:
        with connection.cursor() as cursor:
            for _ in range(floor_statements):
                cursor.execute("SELECT 1")

    trips_ms = median_ms(round_trips, lifecycles, warmup=2)
    per_decision_floor_statements = floor_statements / 3
    return [
        Figure(
            "review.decision_queries",
            decision_queries,
            "queries",
            round(per_decision_floor_statements, 1),
            "SQL statements of one district approval (decision_record); baseline: statements of the plain-ORM "
            "floor per level",
        ),
        Figure(
            "review.decision_ms",
            decision_ms,
            "ms",
            statistics.fmean([floor_ms / 3]),
            f"median of {decisions} POST /applications/{{id}}/decisions (approve at district); baseline: the "
            "plain-ORM floor per level",
        ),
        Figure(
            "review.lifecycle_ms",
            lifecycle_ms,
            "ms",
            floor_ms,
            f"median of {lifecycles} district→city→region approvals through the API (the award "
            "letter queued for a worker, as in production); baseline: review.lifecycle_floor_ms",
        ),
        Figure(
            "review.lifecycle_floor_ms",
            floor_ms,
            "ms",
            trips_ms,
            f"the rows of one lifecycle written by plain ORM calls ({floor_statements} statements); baseline: "
            "as many bare SELECT 1 round trips",
        ),
    ]
