"""Bulk data for the scale figures, consistent with the schema and fast (bulk INSERTs, no actions).

The factories of ``tests/support`` build one application the way the product does (about
30 ms a draft, 150 ms a submitted claim): right for a few hundred, far too slow for
100,000. These helpers write the rows a submitted application leaves behind, in bulk:

- ``applications_in_review``: the application (``in_review`` at a level of its chain), its
  review process (viewflow ``Process`` + ``ReviewProcess``), the process's done start task
  and its open review task, linked to it, whose ``data`` carries what the inbox and the
  API read (``level``, ``level_index``, ``deadline`` by the programme's working-day rule,
  ``round``);
- ``applications_approved``: the application (``approved``, its award), its finished
  process, and its award commitment (a ledger ``commit`` row, the budget's total raised).

Not generated: audit rows, notifications, attachments, rule evaluations and the review's
timer task; nothing that lists applications or tasks reads them. Everything is made in
one programme of its own (``bench_program``), so ``program_data_remove`` takes it all
away again and the next module starts from a small database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any, cast

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import PROCESS, STATUS

from finance.models import Budget, LedgerEntry
from grants.calendar import deadline_after
from grants.models import Application, Organization, Program, Status, User
from tests.support.factories import BudgetFactory, OrganizationFactory, ProgramFactory
from workflows.flows import ReviewFlow
from workflows.models import ReviewProcess

BATCH = 2000
CHAIN = ["district", "city", "region"]


def _chunks(items: Sequence[Any], size: int = BATCH) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def bench_program(code: str) -> Program:
    """A general programme of the bench's own (district → city → region), open this year."""
    existing = Program.objects.filter(code=code).first()
    if existing is not None:
        return existing
    return cast(
        Program, ProgramFactory(code=code, name=f"基准测试专项 {code}", name_en=f"Bench {code}")
    )


def organizations(district: str, count: int, *, tag: str) -> list[Organization]:
    """``count`` SME enterprises registered in ``district``."""
    return [
        cast(
            Organization,
            OrganizationFactory(name=f"{tag}第{i}号基准科技有限公司", district_id=district),
        )
        for i in range(count)
    ]


def _insert_review_processes(rows: list[ReviewProcess]) -> None:
    """ReviewProcess rows for processes that exist: Django's bulk_create refuses multi-table
    children, so the child table's INSERT is the one ``Model.save`` makes, batched."""
    fields = ReviewProcess._meta.local_concrete_fields
    for chunk in _chunks(rows, 500):
        ReviewProcess._base_manager._insert(list(chunk), fields=fields)  # type: ignore[attr-defined]


def _processes(
    apps: Sequence[Application], *, status: str, created: list[dt.datetime], level_index: int
) -> list[Process]:
    processes = Process.objects.bulk_create(
        [
            Process(
                flow_class=ReviewFlow,
                status=status,
                created=at,
                finished=None if status != PROCESS.DONE else at,
                data={"level_index": level_index},
            )
            for at in created
        ]
    )
    _insert_review_processes(
        [
            ReviewProcess(process_ptr_id=p.pk, application_id=a.pk, round=1, chain=a.chain)
            for p, a in zip(processes, apps, strict=True)
        ]
    )
    return processes


def _start_tasks(processes: Sequence[Process]) -> list[Task]:
    return Task.objects.bulk_create(
        [
            Task(
                process_id=p.pk,
                flow_task=ReviewFlow.start,
                flow_task_type="START",
                status=STATUS.DONE,
                created=p.created,
                started=p.created,
                finished=p.created,
            )
            for p in processes
        ]
    )


def applications_in_review(
    *,
    program: Program,
    organizations: Sequence[Organization],
    count: int,
    prefix: str,
    created_by: User,
    level_index: int = 0,
    award: Decimal = Decimal("20000.00"),
    spread_days: int = 20,
) -> list[int]:
    """``count`` applications waiting at ``CHAIN[level_index]``, each with its review process
    and open review task; submitted over the last ``spread_days`` days, so some are overdue."""
    now = timezone.now()
    level = CHAIN[level_index]
    days = program.deadline_days(level)
    deadlines: dict[dt.date, str] = {}  # the working-day calendar, once per submission day

    def deadline(at: dt.datetime) -> str:
        day = timezone.localtime(at).date()
        if day not in deadlines:
            deadlines[day] = deadline_after(at, days).isoformat()
        return deadlines[day]

    ids: list[int] = []
    for chunk_start in range(0, count, BATCH):
        size = min(BATCH, count - chunk_start)
        with transaction.atomic():
            created = [
                now - dt.timedelta(minutes=(chunk_start + i) * 7 % (spread_days * 24 * 60))
                for i in range(size)
            ]
            apps = Application.objects.bulk_create(
                [
                    Application(
                        number=f"{prefix}-{chunk_start + i:07d}",
                        program=program,
                        organization=organizations[(chunk_start + i) % len(organizations)],
                        status=Status.IN_REVIEW,
                        level=level,
                        chain=list(CHAIN),
                        fields={"project": f"{prefix} {chunk_start + i}"},
                        award_amount=award,
                        round=1,
                        submitted_at=created[i],
                        created_by=created_by,
                        created_at=created[i],
                    )
                    for i in range(size)
                ]
            )
            processes = _processes(
                apps, status=PROCESS.NEW, created=created, level_index=level_index
            )
            starts = _start_tasks(processes)
            reviews = Task.objects.bulk_create(
                [
                    Task(
                        process_id=p.pk,
                        flow_task=ReviewFlow.review,
                        flow_task_type="HUMAN",
                        status=STATUS.NEW,
                        created=p.created,
                        data={
                            "level": level,
                            "level_index": level_index,
                            "deadline": deadline(p.created),
                            "round": 1,
                        },
                    )
                    for p in processes
                ]
            )
            link = Task.previous.through
            link.objects.bulk_create(
                [
                    link(from_task_id=r.pk, to_task_id=s.pk)
                    for r, s in zip(reviews, starts, strict=True)
                ]
            )
            ids.extend(a.pk for a in apps)
    return ids


def applications_approved(
    *,
    program: Program,
    organizations: Sequence[Organization],
    count: int,
    prefix: str,
    actor: User,
    award: Decimal = Decimal("20000.00"),
) -> list[int]:
    """``count`` approved awards: the application, its finished process, its ledger commitment."""
    now = timezone.now()
    budget = Budget.objects.filter(program=program, year=program.year).first()
    if budget is None or budget.available < award * count:
        BudgetFactory(program=program, amount=award * count)
        budget = Budget.objects.get(program=program, year=program.year)
    ids: list[int] = []
    for chunk_start in range(0, count, BATCH):
        size = min(BATCH, count - chunk_start)
        with transaction.atomic():
            apps = Application.objects.bulk_create(
                [
                    Application(
                        number=f"{prefix}-{chunk_start + i:07d}",
                        program=program,
                        organization=organizations[(chunk_start + i) % len(organizations)],
                        status=Status.APPROVED,
                        level="",
                        chain=list(CHAIN),
                        fields={"project": f"{prefix} {chunk_start + i}"},
                        award_amount=award,
                        round=1,
                        submitted_at=now,
                        created_by=actor,
                    )
                    for i in range(size)
                ]
            )
            processes = _processes(apps, status=PROCESS.DONE, created=[now] * size, level_index=2)
            _start_tasks(processes)
            LedgerEntry.objects.bulk_create(
                [
                    LedgerEntry(
                        budget=budget,
                        kind=LedgerEntry.Kind.COMMIT,
                        amount=award,
                        application=a,
                        actor=actor,
                        reason="基准测试",
                    )
                    for a in apps
                ]
            )
            Budget.objects.filter(pk=budget.pk).update(committed=F("committed") + award * size)
            ids.extend(a.pk for a in apps)
    return ids


def analyze() -> None:
    """Fresh planner statistics after a bulk change, as autovacuum would give production."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            tables = [
                m._meta.db_table
                for m in (Application, Process, ReviewProcess, Task, LedgerEntry, Budget)
            ]
            cursor.execute(f"ANALYZE {', '.join(tables + [Task.previous.through._meta.db_table])}")
        else:
            cursor.execute("ANALYZE")


def program_data_remove(program: Program) -> int:
    """Remove every application of ``program`` with its review processes, tasks and ledger
    rows (raw DELETEs: the ORM's collector would load 100,000s of rows); the budget's
    committed total goes back to what its remaining ledger rows say. Returns the count."""
    app = Application._meta.db_table
    review = ReviewProcess._meta.db_table
    process = Process._meta.db_table
    task = Task._meta.db_table
    link = Task.previous.through._meta.db_table
    ledger = LedgerEntry._meta.db_table
    apps = f"SELECT id FROM {app} WHERE program_id = %s"
    procs = f"SELECT process_ptr_id FROM {review} WHERE application_id IN ({apps})"
    tasks = f"SELECT id FROM {task} WHERE process_id IN ({procs})"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {app} WHERE program_id = %s", [program.pk])
        count = int(cursor.fetchone()[0])
        cursor.execute(
            f"DELETE FROM {link} WHERE from_task_id IN ({tasks}) OR to_task_id IN ({tasks})",
            [program.pk, program.pk],
        )
        cursor.execute(f"DELETE FROM {task} WHERE process_id IN ({procs})", [program.pk])
        cursor.execute(f"DELETE FROM {process} WHERE id IN ({procs})", [program.pk])
        cursor.execute(f"DELETE FROM {review} WHERE application_id IN ({apps})", [program.pk])
        cursor.execute(f"DELETE FROM {ledger} WHERE application_id IN ({apps})", [program.pk])
        cursor.execute(f"DELETE FROM {app} WHERE program_id = %s", [program.pk])
        for budget in Budget.objects.filter(program=program):
            committed = LedgerEntry.objects.filter(budget=budget, kind=LedgerEntry.Kind.COMMIT)
            total = sum((e.amount for e in committed), Decimal("0.00"))
            Budget.objects.filter(pk=budget.pk).update(committed=total)
    return count
