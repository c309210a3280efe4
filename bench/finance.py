"""finance.commits_per_s: award commitments per second under 8 concurrent workers; baseline: plain
single-row ``UPDATE ... SET committed = committed + x`` statements by 8 workers, in the same run.

A commitment is what the final approval adds to its transaction (``finance.services.budget.award_commit``):
the conditional budget UPDATE, a ledger row and a keyed audit row (one INSERT: the audit log takes
no lock in a change's transaction since the sealer links entries later), committed. Every
commitment of a programme touches the same budget row, so this measures the contended path.
Target: ratio >= 0.5.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal

from django.db import connections, transaction
from django.db.models import F
from django.utils import timezone

from bench.common import Figure
from demo.seed import seed_demo
from finance.models import Budget
from finance.services.budget import award_commit
from grants.models import Application, Program, User
from tests.support.factories import OrganizationFactory

WORKERS = 8
AMOUNT = Decimal("1000.00")


def _in_parallel(jobs: list[list], work) -> float:
    """Run ``work(job)`` for each job list in its own thread, all released together; wall seconds."""
    barrier = threading.Barrier(len(jobs) + 1)
    errors: list[str] = []

    def body(items: list) -> None:
        try:
            barrier.wait()
            for item in items:
                work(item)
        except Exception as exc:  # reported, and the figure is not written
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=body, args=(items,)) for items in jobs]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise RuntimeError(f"bench.finance workers failed: {errors[:3]}")
    return elapsed


def run(per_worker: int = 50, quick: bool = False) -> list[Figure]:
    if quick:
        per_worker = 3
    year = timezone.localdate().year
    seed_demo(year)
    total = WORKERS * per_worker
    program = Program.objects.get(code="cert-subsidy")
    reviewer = User.objects.get(username="reviewer-region")
    org = OrganizationFactory(name="财务基准测试有限公司")
    apps = Application.objects.bulk_create(
        [
            Application(
                number=f"BENCH-FIN-{i:06d}",
                program=program,
                organization=org,
                status="in_review",
                level="region",
                award_amount=AMOUNT,
                created_by=reviewer,
            )
            for i in range(total)
        ]
    )
    for app in apps:
        app.program = program
    budget = Budget.objects.get(program=program, year=program.year)
    assert budget.available >= AMOUNT * total
    committed_before = budget.committed  # other benchmarks of the run may have committed awards

    def commit(app: Application) -> None:
        with transaction.atomic():
            assert award_commit(application=app, actor=reviewer)

    slices = [apps[i::WORKERS] for i in range(WORKERS)]
    commit_s = _in_parallel(slices, commit)
    budget.refresh_from_db()
    assert budget.committed == committed_before + AMOUNT * total, (
        "every commitment landed exactly once"
    )

    floor = Budget.objects.get(program__code="service-voucher", year=program.year)

    def plain(_i: int) -> None:
        Budget.objects.filter(pk=floor.pk).update(committed=F("committed") + AMOUNT)

    plain_s = _in_parallel([list(range(per_worker)) for _ in range(WORKERS)], plain)
    return [
        Figure(
            "finance.commits_per_s",
            total / commit_s,
            "1/s",
            total / plain_s,
            f"{total} award commitments (conditional UPDATE, ledger row, audit row, "
            f"commit) by {WORKERS} concurrent workers on one budget; baseline: as many plain "
            "single-row UPDATE committed = committed + x by 8 workers in the same run; target ratio >= 0.5",
        )
    ]
