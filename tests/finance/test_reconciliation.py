"""The reconciliation report is empty when all agrees and names each seeded fault."""

from decimal import Decimal

from django.db import transaction

from finance.models import Budget, LedgerEntry
from finance.reconciliation import reconciliation_report
from grants.audit import audit_record
from grants.models import Application, Status
from tests.support.claims import decide
from tests.support.finance import at_region, finance_org


def test_report_is_empty_on_demo_data(as_user):
    assert reconciliation_report() == []
    body = as_user("auditor").get("/reconciliation").json()
    assert body == {"ok": True, "mismatches": []}


def forge(**kwargs) -> LedgerEntry:
    """Write a ledger row past the services (what a faulty import or a hand edit would do)."""
    (entry,) = LedgerEntry.objects.bulk_create([LedgerEntry(reason="forged", **kwargs)])
    return entry


def test_report_names_each_of_five_seeded_faults(as_user):
    org = finance_org()
    region = as_user("reviewer-region")
    ok, no_commit, rejected, wrong_amount, paid_only = (at_region(org, f"F{i}") for i in range(5))
    for app in (ok, wrong_amount):
        assert decide(region, app.pk, "approve").status_code == 200
    budget = Budget.objects.get(program__code="cert-subsidy")
    navigation = Budget.objects.get(program__code="navigation")
    with transaction.atomic():
        # 1. award without commitment: approved behind the ledger's back
        Application.objects.filter(pk=no_commit.pk).update(status=Status.APPROVED, level="")
        # 2. payment without award: a rejected application paid
        Application.objects.filter(pk=rejected.pk).update(status=Status.REJECTED, level="")
        forge(budget=budget, kind="commit", amount=Decimal("30000.00"), application=rejected)
        forge(budget=budget, kind="pay", amount=Decimal("30000.00"), application=rejected)
        Budget.objects.filter(pk=budget.pk).update(committed=budget.committed + Decimal("30000"))
        Budget.objects.filter(pk=budget.pk).update(paid=Decimal("30000.00"))
        # 3. balance ≠ sum of entries: the cached allocation edited
        Budget.objects.filter(pk=navigation.pk).update(allocated=navigation.allocated + 1)
        # 4. commitment ≠ award amount
        Application.objects.filter(pk=wrong_amount.pk).update(award_amount=Decimal("31000.00"))
        # 5. marked paid without any payment (and committed on another programme: 专款专用)
        Application.objects.filter(pk=paid_only.pk).update(status=Status.PAID, level="")
        forge(budget=navigation, kind="commit", amount=Decimal("30000.00"), application=paid_only)
        Budget.objects.filter(pk=navigation.pk).update(committed=Decimal("30000.00"))
        audit_record(actor=None, action="test.faults", obj=budget)

    found = {(m.kind, m.application or m.budget) for m in reconciliation_report()}
    assert ("award_without_commitment", no_commit.pk) in found
    assert ("payment_without_award", rejected.pk) in found
    assert ("commitment_without_award", rejected.pk) in found
    assert ("balance_mismatch", navigation.pk) in found
    assert ("commitment_amount_mismatch", wrong_amount.pk) in found
    assert ("paid_without_payment", paid_only.pk) in found
    assert ("wrong_programme", paid_only.pk) in found
    assert not any(app == ok.pk for _kind, app in found)

    body = as_user("auditor").get("/reconciliation").json()
    assert body["ok"] is False
    by_kind = {m["kind"]: m for m in body["mismatches"]}
    assert no_commit.number in by_kind["award_without_commitment"]["detail"]
