"""Concurrent approvals never over-commit a budget; concurrent payments of one batch pay once (PostgreSQL)."""

import json
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.test import Client

from finance.models import Budget, DisbursementBatch, LedgerEntry
from finance.reconciliation import reconciliation_report
from grants.errors import DomainError
from grants.models import Application, Program, User
from grants.selectors import reviewer_jurisdictions
from tests.support.finance import finance_org, set_budget, submitted_app
from workflows.lifecycle import decide as decision_record

AWARD = Decimal("30000.00")
# The server's max_connections (100) is shared with other sessions: at most this many threads
# hold a connection at once; all of them are released together by the barrier.
MAX_CONNECTIONS = 20


def needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip(
            "row locks are a PostgreSQL property; CI and `make test` run this on PostgreSQL"
        )


def region_only_apps(count: int) -> list[Application]:
    Program.objects.filter(code="cert-subsidy").update(levels=["region"])
    org = finance_org(777)
    apps = [submitted_app(org, f"R{i}") for i in range(count)]
    assert {(a.status, a.level) for a in apps} == {("in_review", "region")}
    return apps


def run_threads(count: int, target) -> None:
    barrier = threading.Barrier(count)
    gate = threading.BoundedSemaphore(MAX_CONNECTIONS)

    def body(i: int) -> None:
        barrier.wait()
        with gate:
            try:
                target(i)
            finally:
                connections.close_all()

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung: deadlock?"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_100_concurrent_final_approvals_commit_exactly_what_the_budget_covers(
    demo, settings, tmp_path
):
    needs_postgres()
    settings.MEDIA_ROOT = tmp_path
    set_budget("cert-subsidy", AWARD * 33)
    apps = region_only_apps(100)
    reviewer = User.objects.get(username="reviewer-region")
    reviewer_jurisdictions(reviewer)  # cache the guardian lookup before threads share the user
    outcomes: dict[int, str] = {}

    def approve(i: int) -> None:
        try:
            decision_record(application=apps[i], actor=reviewer, decision="approve")
            outcomes[i] = "approved"
        except DomainError as exc:
            outcomes[i] = exc.slug
        except Exception as exc:  # a deadlock or lock timeout would land here
            outcomes[i] = repr(exc)

    run_threads(100, approve)
    counts: dict[str, int] = {}
    for value in outcomes.values():
        counts[value] = counts.get(value, 0) + 1
    assert counts == {"approved": 33, "budget-exceeded": 67}
    budget = Budget.objects.get(program__code="cert-subsidy")
    assert budget.committed == AWARD * 33 and budget.available == Decimal("0.00")
    assert LedgerEntry.objects.filter(kind="commit").count() == 33
    statuses = Application.objects.filter(pk__in=[a.pk for a in apps]).values_list(
        "status", "level"
    )
    # approved, then awarded once its letter is stored (tasks run in-process in the suite)
    finished = {("approved", ""), ("awarded", "")}
    assert set(statuses) - finished == {("in_review", "region")}
    assert Application.objects.filter(status__in=["approved", "awarded"]).count() == 33
    assert reconciliation_report() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_api_approvals_get_200_or_409_never_500(demo, settings, tmp_path):
    needs_postgres()
    settings.MEDIA_ROOT = tmp_path
    set_budget("cert-subsidy", AWARD * 3)
    apps = region_only_apps(10)
    client = Client()
    token = client.post(
        "/api/v1/auth/token",
        json.dumps({"username": "reviewer-region", "password": "demo-pass-2026"}),
        content_type="application/json",
    ).json()["token"]
    codes: dict[int, int] = {}

    def approve(i: int) -> None:
        response = Client().post(
            f"/api/v1/applications/{apps[i].pk}/decisions",
            json.dumps({"decision": "approve"}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        codes[i] = response.status_code

    run_threads(10, approve)
    assert sorted(codes.values()) == [200] * 3 + [409] * 7
    assert Budget.objects.get(program__code="cert-subsidy").available == Decimal("0.00")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_20_concurrent_payments_of_one_batch_record_one_payment(demo, settings, tmp_path):
    needs_postgres()
    settings.MEDIA_ROOT = tmp_path
    apps = region_only_apps(3)
    reviewer = User.objects.get(username="reviewer-region")
    for app in apps:
        decision_record(application=app, actor=reviewer, decision="approve")
    client = Client()
    token = client.post(
        "/api/v1/auth/token",
        json.dumps({"username": "finance", "password": "demo-pass-2026"}),
        content_type="application/json",
    ).json()["token"]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    batch = client.post(
        "/api/v1/disbursements",
        json.dumps({"awards": [a.pk for a in apps]}),
        content_type="application/json",
        **auth,
    ).json()
    codes: dict[int, int] = {}

    def pay(i: int) -> None:
        response = Client().post(
            f"/api/v1/disbursements/{batch['id']}/paid",
            json.dumps({"reference": f"BANK-{i:03d}"}),
            content_type="application/json",
            **auth,
        )
        codes[i] = response.status_code

    run_threads(20, pay)
    assert sorted(codes.values()) == [200] + [409] * 19
    assert LedgerEntry.objects.filter(kind="pay").count() == 3
    assert DisbursementBatch.objects.get(pk=batch["id"]).status == "paid"
    budget = Budget.objects.get(program__code="cert-subsidy")
    assert budget.paid == AWARD * 3
    assert reconciliation_report() == []
