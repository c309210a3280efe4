"""Review chain figures: one decision (statements, ms) and one three-level lifecycle, each
against the bare-viewflow peer and the raw-ORM floor, in the same run.

- ``review.decision_queries`` / ``review.decision_queries_10k``: SQL statements of one
  district approval (``workflows.lifecycle.decide``) with about 10 applications in the
  database, then with 10,000 (bulk rows: in review, open tasks, the approving reviewer's
  district); baseline: the statements of the raw-ORM floor (``bench.floor``: lock the
  task, update it, insert the audit entry, insert the next task and its link). Celery is
  not eager here: the letter and e-mail tasks go to the broker, as the request does in
  production; their work is a worker's.
- ``review.decision_ms``: one approval, ``POST /api/v1/applications/{id}/decisions``
  through ``django.test.Client`` (the whole WSGI handler and middleware, in process);
  baseline ``review.peer_decision_ms``: one decision of a minimal viewflow process
  (``bench.peer``: Start → three approval View tasks → End, viewflow's
  ``SelectForUpdateLock``) through the same client, one request too.
- ``review.peer_decision_ms``; baseline: the floor's decision through the same client.
- ``review.lifecycle_ms``: district → city → region approvals of one claim, three
  requests; baseline ``review.lifecycle_floor_ms``: three floor decisions (three requests).
- ``review.lifecycle_floor_ms``; baseline: three ``GET /bench/noop`` through the same client.

Contenders are timed in turn (ours, peer, floor, ours, …), so a shared machine's noise
falls on all of them alike.
"""

from __future__ import annotations

import statistics
from typing import cast

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench import data
from bench.common import Figure, celery_not_eager, interleaved_ms
from bench.floor import floor_decide
from bench.peer.flows import PeerFlow
from demo.seed import seed_demo
from grants.models import Application, Organization, User
from tests.support.clients import Api, login
from tests.support.factories import OrganizationFactory, SubmittedApplicationFactory
from tests.support.personas import APPLICANT, DISTRICT_REVIEWER, REVIEW_CHAIN
from workflows.lifecycle import decide
from workflows.models import ReviewProcess

REVIEWERS = REVIEW_CHAIN  # reviewer-tianshan, reviewer-city, reviewer-region
DISTRICT = "650102"  # 天山区, the district reviewer's


def _submitted(count: int, org: Organization, tag: str) -> list[int]:
    """``count`` ¥20,000 cert-subsidy claims of ``org``, submitted (the shared test factory)."""
    return [
        cast(
            Application,
            SubmittedApplicationFactory(organization=org, tag=f"{tag}-{i}", fee="20000.00"),
        ).pk
        for i in range(count)
    ]


def _ok(response) -> None:
    assert response.status_code == 200, response.content


def _decision_statements(app_id: int, reviewer: User) -> int:
    with CaptureQueriesContext(connection) as ctx:
        decide(application=Application.objects.get(pk=app_id), actor=reviewer, decision="approve")
    return len(ctx.captured_queries)


def _processes(app_ids: list[int]) -> list[int]:
    by_app = dict(
        ReviewProcess.objects.filter(application_id__in=app_ids).values_list("application_id", "pk")
    )
    return [by_app[a] for a in app_ids]


def _peers(count: int, tag: str) -> list[int]:
    return [PeerFlow.start.run(title=f"{tag}-{i}").pk for i in range(count)]


def run(
    decisions: int = 30, lifecycles: int = 12, bulk: int = 10_000, quick: bool = False
) -> list[Figure]:
    if quick:
        decisions, lifecycles, bulk = 2, 1, 300
    seed_demo(timezone.localdate().year)
    org = cast(Organization, OrganizationFactory(name="审核基准测试有限公司", members=[APPLICANT]))
    clients: dict[str, Api] = {name: login(name) for name in REVIEWERS}
    people = {name: User.objects.get(username=name) for name in REVIEWERS}
    district = people[DISTRICT_REVIEWER]
    program = data.bench_program("bench-review")
    places = data.organizations(DISTRICT, 20, tag="审核")

    with celery_not_eager():
        # statements of one decision, with few applications in the database
        small = _submitted(max(3, 10 - Application.objects.count()), org, "RQ")
        small_count = Application.objects.count()
        _decision_statements(small[2], district)  # a warm process, like a server's: caches filled
        small_statements = _decision_statements(small[0], district)
        with CaptureQueriesContext(connection) as ctx:
            _ok(
                clients[DISTRICT_REVIEWER].post(
                    f"/applications/{small[1]}/decisions", {"decision": "approve"}
                )
            )
        request_statements = len(ctx.captured_queries)

        # the floor's statements, on a process of the same shape
        [target] = _processes(
            data.applications_in_review(
                program=program, organizations=places, count=1, prefix="BRF", created_by=district
            )
        )
        with CaptureQueriesContext(connection) as ctx:
            assert floor_decide(process_id=target, actor=district) is not None
        floor_statements = len(ctx.captured_queries)

        # the same decision with `bulk` applications in the database
        data.applications_in_review(
            program=program,
            organizations=places,
            count=max(0, bulk - Application.objects.count() - 1),
            prefix="BRQ",
            created_by=district,
        )
        data.analyze()
        [big] = _submitted(1, org, "RQB")
        big_count = Application.objects.count()
        big_statements = _decision_statements(big, district)
        data.program_data_remove(program)
        data.analyze()

    # timings, at the small size again
    ours = _submitted(decisions + 3, org, "RD")
    floors = _processes(
        data.applications_in_review(
            program=program,
            organizations=places,
            count=decisions + 3 + lifecycles + 3,
            prefix="BRT",
            created_by=district,
        )
    )
    floor_singles, floor_lifecycles = floors[: decisions + 3], floors[decisions + 3 :]
    peers = _peers(decisions + 3 + lifecycles + 3, "PD")
    peer_singles, peer_lifecycles = peers[: decisions + 3], peers[decisions + 3 :]
    full = _submitted(lifecycles + 3, org, "RL")
    tianshan = clients[DISTRICT_REVIEWER]
    body = {"decision": "approve"}

    with celery_not_eager():  # the final approval queues the award letter for a worker
        single = interleaved_ms(
            {
                "ours": lambda i: _ok(
                    tianshan.post(f"/applications/{ours[i]}/decisions", body, minimal=True)
                ),
                "peer": lambda i: _ok(
                    tianshan.post(f"/bench/peer/{peer_singles[i]}/decisions", body)
                ),
                "floor": lambda i: _ok(
                    tianshan.post(f"/bench/floor/{floor_singles[i]}/decisions", body)
                ),
            },
            decisions,
        )

        def three(path: str):
            def lifecycle(i: int) -> None:
                for name in REVIEWERS:
                    _ok(clients[name].post(path.format(i=i), body, minimal=True))

            return lifecycle

        def noops(i: int) -> None:
            for name in REVIEWERS:
                assert clients[name].client.get("/bench/noop").status_code == 200

        chains = interleaved_ms(
            {
                "ours": lambda i: three(f"/applications/{full[i]}/decisions")(i),
                "peer": lambda i: three(f"/bench/peer/{peer_lifecycles[i]}/decisions")(i),
                "floor": lambda i: three(f"/bench/floor/{floor_lifecycles[i]}/decisions")(i),
                "noop": noops,
            },
            lifecycles,
        )
    data.program_data_remove(program)

    med = {name: statistics.median(s) for name, s in single.items()}
    chain = {name: statistics.median(s) for name, s in chains.items()}
    return [
        Figure(
            "review.decision_queries",
            small_statements,
            "queries",
            floor_statements,
            f"SQL statements of one district approval (workflows.lifecycle.decide; Celery not eager, as "
            f"in production) with {small_count} applications in the database; the whole request "
            f"(POST …/decisions: token, visibility, response) {request_statements}; baseline: the "
            "raw-ORM floor (bench.floor: lock the task, update it, insert the audit entry, insert "
            "the next task and its link, BEGIN/COMMIT counted alike); target <= 22, flat",
        ),
        Figure(
            "review.decision_queries_10k",
            big_statements,
            "queries",
            floor_statements,
            f"the same with {big_count:,} applications in the database (bulk rows of bench.data: in "
            f"review, open review tasks, in the approving reviewer's district); {small_statements} "
            f"with {small_count}; baseline: the raw-ORM floor; target <= 22 and equal to "
            "review.decision_queries",
        ),
        Figure(
            "review.decision_ms",
            med["ours"],
            "ms",
            med["peer"],
            f"median of {decisions} POST /api/v1/applications/{{id}}/decisions (approve at district) "
            "with Prefer: return=minimal (the answer {id, status, level}, as the peer answers its "
            "state) through django.test.Client, Celery not eager; baseline: review.peer_decision_ms, "
            "timed in turn with it; target ratio <= 2.5",
        ),
        Figure(
            "review.peer_decision_ms",
            med["peer"],
            "ms",
            med["floor"],
            f"median of {decisions} decisions of the bare-viewflow peer (bench.peer: Start -> three "
            "approval View tasks -> End, SelectForUpdateLock; POST /api/v1/bench/peer/{id}/decisions: "
            "lock, assign, start, save the process, execute) through the same client and token, one "
            f"request each; baseline: the raw-ORM floor's decision through the same client "
            f"(POST /api/v1/bench/floor/{{id}}/decisions, {floor_statements} statements)",
        ),
        Figure(
            "review.lifecycle_ms",
            chain["ours"],
            "ms",
            chain["floor"],
            f"median of {lifecycles} district->city->region approvals of one claim through the API "
            "(three requests, Prefer: return=minimal; the award letter queued for a worker, as in "
            "production); the peer's "
            f"three decisions: {chain['peer']:.1f} ms; baseline: review.lifecycle_floor_ms; "
            "target ratio <= 3",
        ),
        Figure(
            "review.lifecycle_floor_ms",
            chain["floor"],
            "ms",
            chain["noop"],
            f"median of {lifecycles} x three raw-ORM floor decisions through the same client (three "
            "requests, three transactions); baseline: three GET /bench/noop through the same client",
        ),
    ]
