"""api.submit_ms: one application submit through the HTTP API; baseline api.health_ms (no database).

Requests go through Django's full WSGI handler and middleware in-process
(django.test.Client): network and gunicorn are excluded, so the figures are
the application's own cost.
"""

from __future__ import annotations

from bench.common import Figure, median_ms
from demo.seed import seed_demo
from tests.support.clients import login
from tests.support.factories import DraftApplicationFactory, OrganizationFactory
from tests.support.personas import APPLICANT


def run(repeat: int = 60, quick: bool = False) -> list[Figure]:
    if quick:
        repeat = 3
    from django.utils import timezone

    seed_demo(timezone.localdate().year)
    org = OrganizationFactory(name="基准测试有限公司", members=[APPLICANT])
    total = repeat + 5
    apps = [
        DraftApplicationFactory(organization=org, tag=f"BENCH-{i}", fee="35000.00").pk
        for i in range(total)
    ]

    applicant = login(APPLICANT)
    client = applicant.client

    def noop(i: int) -> None:
        assert client.get("/bench/noop").status_code == 200

    def health(i: int) -> None:
        assert client.get("/api/v1/health").status_code == 200

    def submit(i: int) -> None:
        response = applicant.post(f"/applications/{apps[i]}/submit")
        assert response.status_code == 200, response.content

    floor = median_ms(noop, repeat * 3)
    health_ms = median_ms(health, repeat * 3)
    submit_ms = median_ms(submit, repeat)
    return [
        Figure(
            "api.health_ms",
            health_ms,
            "ms",
            floor,
            f"median of {repeat * 3} GET /api/v1/health; baseline: a plain Django view through the same middleware",
        ),
        Figure(
            "api.submit_ms",
            submit_ms,
            "ms",
            health_ms,
            f"median of {repeat} POST /api/v1/applications/{{id}}/submit (rules, audit, 2 attachments); "
            "baseline: api.health_ms in the same run",
        ),
    ]
