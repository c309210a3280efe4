"""One decision costs the same number of queries with 10 or 1,000 applications, tasks and permissions."""

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


def decision_queries(app, reviewer) -> int:
    reviewer = User.objects.get(pk=reviewer.pk)  # fresh: no per-user caches
    with CaptureQueriesContext(connection) as ctx:
        decision_record(application=app, actor=reviewer, decision="approve")
    return len(ctx.captured_queries)


@pytest.mark.django_db(transaction=True)
def test_decision_query_count_does_not_grow(demo, settings, tmp_path):
    # committed one action at a time, as in production: a single test transaction holding
    # thousands of updates of the audit head row would measure PostgreSQL's MVCC, not the decision
    settings.MEDIA_ROOT = tmp_path
    reviewer = User.objects.get(username="reviewer-tianshan")
    org = OrganizationFactory(name="规模测试公司", members=[APPLICANT])

    small = fill(10, org)
    decision_queries(small[0], reviewer)  # warm per-process caches (content types)
    at_10 = decision_queries(small[1], reviewer)

    fill(290, org, start=10)  # 300 open review tasks in all
    fill(700, org, start=300, submit=False)  # and 1,000 applications
    others = User.objects.bulk_create([User(username=f"watcher-{i}") for i in range(300)])
    tianshan = Jurisdiction.objects.get(code="650102")
    for user in others:  # 300 more object permissions on the same jurisdiction
        assign_perm("grants.review_in", user, tianshan)
    at_1000 = decision_queries(small[2], reviewer)

    assert at_10 == at_1000, (at_10, at_1000)
    assert at_10 < 80
