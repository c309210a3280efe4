"""Two reviewers decide the same task at once: exactly one decision lands, the other gets 409."""

import json
import threading

import pytest
from django.db import connection, connections
from django.test import Client

from grants.audit import AuditEntry
from grants.models import Jurisdiction, User
from grants.reviewers import reviewer_appoint
from tests.support.factories import OrganizationFactory, SubmittedApplicationFactory
from tests.support.personas import APPLICANT


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_decisions_on_one_task(demo, settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip(
            "row locks are a PostgreSQL property; CI and `make test` run this on PostgreSQL"
        )
    settings.MEDIA_ROOT = tmp_path
    org = OrganizationFactory(name="并发审核公司", members=[APPLICANT])
    tianshan = Jurisdiction.objects.get(code="650102")
    second = User.objects.create_user("reviewer-tianshan-2", password="demo-pass-2026")
    reviewer_appoint(user=second, jurisdiction=tianshan)
    app = SubmittedApplicationFactory(organization=org)

    barrier = threading.Barrier(2)
    results: dict[str, int] = {}

    def decide(username: str, decision: str) -> None:
        try:
            client = Client()
            token = client.post(
                "/api/v1/auth/token",
                json.dumps({"username": username, "password": "demo-pass-2026"}),
                content_type="application/json",
            ).json()["token"]
            barrier.wait()
            response = client.post(
                f"/api/v1/applications/{app.pk}/decisions",
                json.dumps({"decision": decision, "comment": "并发测试"}),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
            )
            results[username] = response.status_code
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=decide, args=("reviewer-tianshan", "approve")),
        threading.Thread(target=decide, args=("reviewer-tianshan-2", "reject")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results.values()) == [200, 409]
    assert AuditEntry.objects.filter(application=app, action="review.decision").count() == 1
    app.refresh_from_db()
    winner = next(u for u, code in results.items() if code == 200)
    assert (app.status, app.level) == (
        ("in_review", "city") if winner == "reviewer-tianshan" else ("rejected", "")
    )
