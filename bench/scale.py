"""Scale figures: the same page or list at a large size against itself at a small size.

- ``review.inbox_ms_p95``: ``GET /review/`` (the reviewer's inbox page, a browser session)
  with 5,000 open review tasks the reviewer may decide; baseline: the same with 50.
- ``review.tasks_api_ms_p95``: ``GET /api/v1/tasks`` (first page) at 5,000; baseline at 50.
- ``finance.list_ms_p95``: ``GET /api/v1/applications`` (first page) as ``finance`` with
  100,000 submitted applications; baseline: the same with 1,000.
- ``finance.awards_ms_p95``: ``GET /finance/awards/`` (finance's list of awards, a browser
  session) at 100,000 applications (10 % of them awards); baseline at 1,000.

Targets: ratio <= 1.5 for each. The rows are bulk-written by ``bench.data`` (about a
minute for 100,000 with their processes and tasks on PostgreSQL), the inbox's in one
district (水磨沟区) whose reviewer sees nothing else, finance's spread over the other
seven; planner statistics are refreshed after each step, as autovacuum would. Every
row is removed at the end, so the modules after this one find a small database. Each
figure is the 95th percentile of up to 30 requests through ``django.test.Client``, fewer
when a page is slow (a time budget per size; the count is in the notes).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from django.test import Client
from django.utils import timezone

from bench import data
from bench.common import Figure, percentile, sample_ms
from demo.seed import DISTRICT_REVIEWERS, seed_demo
from grants.models import Application, User
from grants.selectors import applications_visible_to
from tests.support.clients import login, web
from tests.support.personas import FINANCE
from workflows.selectors import tasks_for

INBOX_REVIEWER = "reviewer-shuimogou"
INBOX_DISTRICT = DISTRICT_REVIEWERS[INBOX_REVIEWER]  # 650105
OTHER_DISTRICTS = [code for code in DISTRICT_REVIEWERS.values() if code != INBOX_DISTRICT]
REQUESTS = 30
BUDGET_S = 15.0


def _log(message: str) -> None:
    print(f"[bench] scale: {message}", file=sys.stderr, flush=True)


def _get(client: Client, path: str, token: str = "") -> Callable[[], None]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}

    def fetch() -> None:
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.status_code, response.content[:300])

    return fetch


def _p95(fetch: Callable[[], None], budget_s: float) -> tuple[float, int]:
    samples = sample_ms(fetch, REQUESTS, budget_s)
    return percentile(samples, 95), len(samples)


def run(
    inbox: tuple[int, int] = (50, 5_000),
    finance: tuple[int, int] = (1_000, 100_000),
    quick: bool = False,
) -> list[Figure]:
    budget_s = BUDGET_S
    if quick:
        inbox, finance, budget_s = (5, 50), (100, 1_000), 1.0
    seed_demo(timezone.localdate().year)
    program = data.bench_program("bench-scale")
    reviewer = User.objects.get(username=INBOX_REVIEWER)
    finance_user = User.objects.get(username=FINANCE)
    inbox_orgs = data.organizations(INBOX_DISTRICT, 50, tag="收件箱")
    finance_orgs = [
        org for code in OTHER_DISTRICTS for org in data.organizations(code, 20, tag=f"财务{code}")
    ]
    reviewer_page, reviewer_api = web(INBOX_REVIEWER), login(INBOX_REVIEWER)
    finance_page, finance_api = web(FINANCE), login(FINANCE)

    def finance_rows(total: int, prefix: str) -> None:
        """Grow finance's view to ``total`` submitted applications, one in ten an award."""
        started = time.perf_counter()
        missing = total - applications_visible_to(finance_user).count()
        awards = missing // 10
        data.applications_approved(
            program=program,
            organizations=finance_orgs,
            count=awards,
            prefix=f"{prefix}A",
            actor=finance_user,
        )
        data.applications_in_review(
            program=program,
            organizations=finance_orgs,
            count=missing - awards,
            prefix=f"{prefix}R",
            created_by=finance_user,
        )
        data.analyze()
        _log(
            f"{missing:,} applications for finance written in {time.perf_counter() - started:.0f} s"
        )

    def inbox_rows(total: int, prefix: str) -> None:
        started = time.perf_counter()
        missing = total - tasks_for(reviewer).count()
        data.applications_in_review(
            program=program,
            organizations=inbox_orgs,
            count=missing,
            prefix=prefix,
            created_by=reviewer,
        )
        data.analyze()
        _log(
            f"{missing:,} open tasks for the inbox written in {time.perf_counter() - started:.0f} s"
        )

    measured: dict[str, dict[str, tuple[float, int, int]]] = {}

    def finance_measure(size: str) -> None:
        seen = applications_visible_to(finance_user).count()
        for name, fetch in (
            ("list", _get(finance_api.client, "/api/v1/applications", finance_api.token)),
            ("awards", _get(finance_page, "/finance/awards/")),
        ):
            p95, count = _p95(fetch, budget_s)
            measured.setdefault(name, {})[size] = (p95, count, seen)
            _log(f"{name} at {seen:,}: p95 {p95:.0f} ms of {count}")

    def inbox_measure(size: str) -> None:
        seen = tasks_for(reviewer).count()
        for name, fetch in (
            ("inbox", _get(reviewer_page, "/review/")),
            ("tasks", _get(reviewer_api.client, "/api/v1/tasks", reviewer_api.token)),
        ):
            p95, count = _p95(fetch, budget_s)
            measured.setdefault(name, {})[size] = (p95, count, seen)
            _log(f"{name} at {seen:,}: p95 {p95:.0f} ms of {count}")

    try:
        finance_rows(finance[0], "BSF")
        finance_measure("small")
        inbox_rows(inbox[0], "BSI")
        inbox_measure("small")
        inbox_rows(inbox[1], "BSJ")
        inbox_measure("large")
        finance_rows(finance[1], "BSG")
        finance_measure("large")
        total = Application.objects.count()
    finally:
        started = time.perf_counter()
        removed = data.program_data_remove(program)
        data.analyze()
        _log(f"{removed:,} applications removed in {time.perf_counter() - started:.0f} s")

    def figure(name: str, key: str, what: str, unit_of_size: str) -> Figure:
        (small, n_small, at_small), (large, n_large, at_large) = (
            measured[key]["small"],
            measured[key]["large"],
        )
        return Figure(
            name,
            large,
            "ms",
            small,
            f"p95 of {n_large} {what} with {at_large:,} {unit_of_size}; baseline: p95 of "
            f"{n_small} with {at_small:,}; target ratio <= 1.5",
        )

    return [
        figure(
            "review.inbox_ms_p95",
            "inbox",
            f"GET /review/ as {INBOX_REVIEWER} (browser session)",
            "open tasks the reviewer may decide",
        ),
        figure(
            "review.tasks_api_ms_p95",
            "tasks",
            f"GET /api/v1/tasks (first page) as {INBOX_REVIEWER}",
            "open tasks the reviewer may decide",
        ),
        figure(
            "finance.list_ms_p95",
            "list",
            "GET /api/v1/applications (first page) as finance",
            f"submitted applications visible to finance ({total:,} in the database)",
        ),
        figure(
            "finance.awards_ms_p95",
            "awards",
            "GET /finance/awards/ as finance (browser session)",
            "submitted applications visible to finance, one in ten an award",
        ),
    ]
