"""The cheap parts of ``make bench`` on tiny sizes, so that a refactor cannot silently break it:
the bulk rows of ``bench.data`` are what the inbox, the task API and finance's lists read,
the raw-ORM floor decides in its few statements, and one load lifecycle runs over HTTP.

(The bare-viewflow peer and the real stack need the bench's own app and processes:
``python -m bench --quick`` runs every module in about two minutes.)
"""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from viewflow.workflow.models import Task

from bench import data
from bench.common import percentile
from bench.floor import floor_decide
from bench.load import STEPS, Http, Phase, lifecycle
from grants.models import Application, User
from tests.support.clients import login, web
from tests.support.factories import DraftApplicationFactory, OrganizationFactory
from tests.support.personas import APPLICANT, FINANCE
from workflows.models import ReviewProcess
from workflows.selectors import tasks_for

REVIEWER = "reviewer-shuimogou"  # 水磨沟区 (650105)


def test_bulk_rows_are_what_the_inbox_tasks_and_finance_lists_read(demo):
    program = data.bench_program("bench-smoke")
    reviewer = User.objects.get(username=REVIEWER)
    places = data.organizations("650105", 2, tag="冒烟")
    waiting = data.applications_in_review(
        program=program, organizations=places, count=3, prefix="SMK", created_by=reviewer
    )
    awards = data.applications_approved(
        program=program,
        organizations=places,
        count=2,
        prefix="SMA",
        actor=User.objects.get(username=FINANCE),
    )
    data.analyze()

    assert tasks_for(reviewer).count() == 3
    tasks = login(REVIEWER).get("/tasks").json()["results"]
    assert sorted(t["application"] for t in tasks) == sorted(waiting)
    assert all(t["level"] == "district" and t["deadline"] and t["round"] == 1 for t in tasks)
    assert web(REVIEWER).get("/review/").status_code == 200
    listed = login(FINANCE).get("/applications", program="bench-smoke").json()
    assert listed["count"] == 5
    page = web(FINANCE).get("/finance/awards/")
    assert page.status_code == 200 and all(
        Application.objects.get(pk=pk).number in page.content.decode() for pk in awards
    )

    assert data.program_data_remove(program) == 5
    assert tasks_for(reviewer).count() == 0
    assert not Application.objects.filter(program=program).exists()


def test_the_floor_decides_in_its_few_statements(demo):
    program = data.bench_program("bench-smoke")
    reviewer = User.objects.get(username=REVIEWER)
    [app] = data.applications_in_review(
        program=program,
        organizations=data.organizations("650105", 1, tag="地板"),
        count=1,
        prefix="SMF",
        created_by=reviewer,
    )
    process = ReviewProcess.objects.get(application_id=app)
    with CaptureQueriesContext(connection) as ctx:
        following = floor_decide(process_id=process.pk, actor=reviewer)
    # lock, update, audit entry, next task, its link; a savepoint's two inside the test's transaction
    assert len(ctx.captured_queries) <= 7
    assert Task.objects.get(pk=following).data["level"] == "city"
    for _ in range(2):
        floor_decide(process_id=process.pk, actor=reviewer)
    assert floor_decide(process_id=process.pk, actor=reviewer) is None  # the chain is done


@pytest.mark.django_db(transaction=True)
def test_one_load_lifecycle_runs_over_http(demo, live_server):
    org = OrganizationFactory(members=[APPLICANT])
    draft = DraftApplicationFactory(organization=org, fee="20000.00")
    tokens = {persona: login(persona).token for _, _, persona in STEPS}
    address = urlsplit(live_server.url)
    conn, phase = Http(address.hostname, address.port), Phase()
    phase.window = (0.0, float("inf"))  # every request counts
    try:
        assert lifecycle(conn, phase, draft.pk, tokens, threading.Event()), phase.errors
    finally:
        conn.close()
    assert [kind for kind, *_ in phase.requests] == [kind for kind, _, _ in STEPS]
    assert Application.objects.get(pk=draft.pk).status in ("approved", "awarded")
    assert len(phase.lifecycle_ms()) == 1 and len(phase.latencies()) == len(STEPS)
    assert percentile([3.0, 1.0, 2.0, 4.0], 50) == 2.0
