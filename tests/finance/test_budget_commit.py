"""The final approval commits the award in the same transaction, or is refused, or waits in the merit queue."""

from decimal import Decimal

from finance.models import Budget, LedgerEntry, QueueEntry
from finance.reconciliation import ledger_totals, reconciliation_report
from grants.audit import AuditEntry
from grants.models import Application, Program, User
from tests.support.claims import decide
from tests.support.finance import at_region, finance_org, set_budget
from workflows.lifecycle import budget_added as budget_allocate


def test_final_approval_commits_the_award(as_user):
    app = at_region(finance_org(), "A1")
    before = Budget.objects.get(program__code="cert-subsidy").committed
    response = decide(as_user("reviewer-region"), app.pk, "approve")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    budget = Budget.objects.get(program__code="cert-subsidy")
    assert budget.committed == before + Decimal("30000.00")
    entry = LedgerEntry.objects.get(application=app, kind="commit")
    assert entry.amount == Decimal("30000.00") and entry.budget == budget


def test_approval_over_budget_is_refused_and_the_application_stays_at_its_level(as_user):
    set_budget("cert-subsidy", Decimal("20000.00"))
    app = at_region(finance_org(), "A2")
    region = as_user("reviewer-region")
    response = decide(region, app.pk, "approve")
    assert response.status_code == 409
    body = response.json()
    assert response["Content-Type"] == "application/problem+json"
    assert body["type"] == "urn:fundflow:problem:budget-exceeded"
    assert "30000.00" in body["detail"] and "20000.00" in body["detail"]
    app.refresh_from_db()
    assert (app.status, app.level) == ("in_review", "region")
    assert not LedgerEntry.objects.filter(application=app).exists()
    assert not app.audit_entries.filter(action="review.decision", level="region").exists()
    # finance adds budget; the same reviewer can now approve the still-open task
    budget_allocate(
        actor=User.objects.get(username="finance"),
        program=Program.objects.get(code="cert-subsidy"),
        year=app.program.year,
        amount=Decimal("10000.00"),
        source="city",
        reason="追加预算",
    )
    response = decide(region, app.pk, "approve")
    assert response.status_code == 200, response.content
    budget = Budget.objects.get(program__code="cert-subsidy")
    assert (budget.allocated, budget.committed, budget.available) == (
        Decimal("30000.00"),
        Decimal("30000.00"),
        Decimal("0.00"),
    )


def test_merit_queue_commits_the_highest_award_first_when_budget_is_added(as_user):
    Program.objects.filter(code="cert-subsidy").update(budget_policy="queue")
    set_budget("cert-subsidy", Decimal("45000.00"))
    org = finance_org()
    first = at_region(org, "Q1", "30000.00")
    second = at_region(org, "Q2", "30000.00")
    big = at_region(org, "Q3", "40000.00")
    region = as_user("reviewer-region")
    for app in (first, second, big):
        assert decide(region, app.pk, "approve").status_code == 200
    statuses = dict(Application.objects.values_list("pk", "status"))
    assert statuses[first.pk] == "approved"
    assert statuses[second.pk] == statuses[big.pk] == "in_review"
    waiting = list(
        QueueEntry.objects.filter(status="waiting").values_list("application", flat=True)
    )
    assert waiting == [big.pk, second.pk]  # ranked by award amount, highest first
    # the awards that did not fit left no commitment and no audit entry of one behind
    commits = LedgerEntry.objects.filter(kind="commit")
    assert list(commits.values_list("application", flat=True)) == [first.pk]
    assert AuditEntry.objects.filter(action="budget.commit").count() == 1

    budget_allocate(
        actor=User.objects.get(username="finance"),
        program=Program.objects.get(code="cert-subsidy"),
        year=first.program.year,
        amount=Decimal("40000.00"),
        source="region",
        reason="追加预算",
    )
    statuses = dict(Application.objects.values_list("pk", "status"))
    assert statuses[big.pk] == "approved"
    assert statuses[second.pk] == "in_review"  # 15000 left: does not fit, keeps its place
    budget = Budget.objects.get(program__code="cert-subsidy")
    assert budget.committed == Decimal("70000.00") and budget.available == Decimal("15000.00")
    assert (
        Application.objects.get(pk=big.pk)
        .audit_entries.filter(action="application.approved")
        .exists()
    )
    assert reconciliation_report() == []


def test_finance_cannot_decide_applications(as_user):
    app = at_region(finance_org(), "A4")
    response = decide(as_user("finance"), app.pk, "approve")
    assert response.status_code == 403
    app.refresh_from_db()
    assert (app.status, app.level) == ("in_review", "region")


def test_cached_budget_totals_equal_the_sum_of_ledger_entries(as_user):
    org = finance_org()
    region = as_user("reviewer-region")
    apps = [at_region(org, f"T{i}") for i in range(3)]
    for app in apps:
        assert decide(region, app.pk, "approve").status_code == 200
    finance = as_user("finance")
    batch = finance.post("/disbursements", {"awards": [apps[0].pk, apps[1].pk]}).json()
    assert (
        finance.post(f"/disbursements/{batch['id']}/paid", {"reference": "B-1"}).status_code == 200
    )
    sums = ledger_totals()
    for budget in Budget.objects.all():
        derived = sums[budget.pk]
        assert (budget.allocated, budget.committed, budget.paid) == (
            derived["allocated"],
            derived["committed"],
            derived["paid"],
        )
    assert reconciliation_report() == []
