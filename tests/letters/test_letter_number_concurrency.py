"""Approvals of different applications at the same moment never share a letter number (PostgreSQL)."""

import re
import threading

import pytest
from django.db import connection, connections

from grants.models import Application, User
from letters.models import Letter
from tests.support.factories import OrganizationFactory, SubmittedApplicationFactory
from tests.support.personas import APPLICANT, BELOW_REGION
from workflows.lifecycle import decide as decision_record

N = 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_approvals_get_distinct_gap_free_numbers(demo, settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are a PostgreSQL property; `make test` runs this on PostgreSQL")
    settings.MEDIA_ROOT = tmp_path
    apps = []
    for i in range(N):
        org = OrganizationFactory(name=f"并发发文测试公司{i}", members=[APPLICANT])
        apps.append(
            SubmittedApplicationFactory(organization=org, fee="30000.00", approved_by=BELOW_REGION)
        )

    barrier = threading.Barrier(N)
    errors: list[BaseException] = []

    def approve(app: Application) -> None:
        try:
            region = User.objects.get(username="reviewer-region")
            barrier.wait()
            # commits, then the (eager) letter task runs on commit in this thread
            decision_record(application=app, actor=region, decision="approve")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    from celery._state import _set_task_join_will_block, task_join_will_block

    join_will_block = task_join_will_block()
    threads = [threading.Thread(target=approve, args=(app,)) for app in apps]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Eager Task.apply toggles a process-global flag (celery.result.denied_join_result); eager
    # tasks in concurrent threads can leave it set, which would break later result.get() calls.
    _set_task_join_will_block(join_will_block)

    assert errors == []
    letters = list(Letter.objects.filter(application__in=apps))
    assert len(letters) == N and all(letter.status == "issued" for letter in letters)
    # issue 17: 乌知运〔year〕N号, one series per issuing authority and year of issue
    serials = sorted(int(re.search(r"〕(\d+)号$", letter.number).group(1)) for letter in letters)
    assert serials == list(range(1, N + 1))  # distinct and gap-free
    assert set(
        Application.objects.filter(pk__in=[a.pk for a in apps]).values_list("status", flat=True)
    ) == {"awarded"}
