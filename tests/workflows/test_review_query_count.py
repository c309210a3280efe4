"""One decision costs at most 22 queries, the same with 10 or 1,000 applications, tasks and
permissions (issue 16; ``make bench`` measures it at 10 and 10,000)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from guardian.shortcuts import assign_perm

from grants.models import Jurisdiction, Organization, User
from tests.support.factories import (
    DraftApplicationFactory,
    OrganizationFactory,
    SubmittedApplicationFactory,
)
from tests.support.personas import APPLICANT
from workflows.lifecycle import decide as decision_record


def fill(count: int, org: Organization, start: int = 0, submit: bool = True) -> list:
    factory = SubmittedApplicationFactory if submit else DraftApplicationFactory
    return [
        factory(organization=org, tag=f"Q-{i}", fee="1000.00") for i in range(start, start + count)
    ]


MAX_DECISION_QUERIES = 22


def decision_queries(app, reviewer, monkeypatch) -> int:
    """The statements of one decision as in production: the request's transaction and the
    outbox hand-over after commit (the notification e-mail is a worker's, not counted)."""
    from config.celery import app as celery_app

    handed: list[str] = []
    monkeypatch.setattr(
        "grants.outbox.send", lambda message, connection: handed.append(message.task) or True
    )
    monkeypatch.setattr("grants.outbox.current_app.pool.acquire", _no_broker)
    reviewer = User.objects.get(pk=reviewer.pk)  # fresh: no per-user caches
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        with CaptureQueriesContext(connection) as ctx:
            decision_record(application=app, actor=reviewer, decision="approve")
    finally:
        celery_app.conf.task_always_eager = eager
    assert handed == ["grants.notification_email"]  # the next level's reviewer is told
    return len(ctx.captured_queries)


class _no_broker:  # noqa: N801  (stands in for a pooled broker connection)
    def __init__(self, *args, **kwargs) -> None:
        pass

    def __enter__(self):
        return None

    def __exit__(self, *exc) -> None:
        return None


@pytest.mark.django_db(transaction=True)
def test_decision_query_count_is_small_and_does_not_grow(demo, settings, tmp_path, monkeypatch):
    # committed one action at a time, as in production: a single test transaction holding
    # thousands of updates of the audit head row would measure PostgreSQL's MVCC, not the decision
    settings.MEDIA_ROOT = tmp_path
    reviewer = User.objects.get(username="reviewer-tianshan")
    org = OrganizationFactory(name="规模测试公司", members=[APPLICANT])

    small = fill(10, org)
    decision_queries(small[0], reviewer, monkeypatch)  # warm per-process caches (content types)
    at_10 = decision_queries(small[1], reviewer, monkeypatch)

    fill(290, org, start=10)  # 300 open review tasks in all
    fill(700, org, start=300, submit=False)  # and 1,000 applications
    others = User.objects.bulk_create([User(username=f"watcher-{i}") for i in range(300)])
    tianshan = Jurisdiction.objects.get(code="650102")
    for user in others:  # 300 more object permissions on the same jurisdiction
        assign_perm("grants.review_in", user, tianshan)
    at_1000 = decision_queries(small[2], reviewer, monkeypatch)

    assert at_10 == at_1000, (at_10, at_1000)
    assert at_10 <= MAX_DECISION_QUERIES, at_10
