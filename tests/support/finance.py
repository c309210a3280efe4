"""Helpers for finance tests: applications waiting at the region level, budgets of a chosen size."""

from __future__ import annotations

from decimal import Decimal

from finance.models import Budget, LedgerEntry
from grants.audit import audit_record
from grants.models import Application, Organization, Program
from tests.support.claims import decide
from tests.support.factories import OrganizationFactory, SubmittedApplicationFactory
from tests.support.personas import APPLICANT, BELOW_REGION


def finance_org(serial: int = 501) -> Organization:
    """The enterprise of a finance test (one per serial), acted for by the applicant."""
    return OrganizationFactory(serial=serial, name=f"财务测试公司{serial}", members=[APPLICANT])


def submitted_app(org: Organization, tag: str, fee: str = "30000.00") -> Application:
    """A cert-subsidy claim of ``fee`` by ``org``, submitted: at the chain's first level."""
    return SubmittedApplicationFactory(organization=org, tag=f"CERT-{tag}", fee=fee)


def at_region(org: Organization, tag: str, fee: str = "30000.00") -> Application:
    """An application approved by district and city, waiting at the region level."""
    app = SubmittedApplicationFactory(
        organization=org, tag=f"CERT-{tag}", fee=fee, approved_by=BELOW_REGION
    )
    assert (app.status, app.level) == ("in_review", "region")
    return app


def set_budget(program_code: str, allocated: Decimal) -> Budget:
    """Make the programme's budget exactly ``allocated`` (test set-up: entries and cache agree)."""
    from django.db import transaction

    program = Program.objects.get(code=program_code)
    budget = Budget.objects.get(program=program, year=program.year)
    with transaction.atomic():
        LedgerEntry.objects.filter(budget=budget).delete()  # QuerySet.delete: set-up only
        Budget.objects.filter(pk=budget.pk).update(
            allocated=allocated, committed=Decimal("0"), paid=Decimal("0")
        )
        LedgerEntry.objects.bulk_create(
            [
                LedgerEntry(
                    budget=budget,
                    kind="allocate",
                    amount=allocated,
                    source="central",
                    reason="test budget",
                )
            ]
        )
        audit_record(actor=None, action="test.budget", obj=budget, data={})
    budget.refresh_from_db()
    return budget


def approved_apps(as_user, count: int, tag: str = "D") -> list[Application]:
    """``count`` claims approved at every level (the region through the API)."""
    org = finance_org()
    region = as_user("reviewer-region")
    apps = [at_region(org, f"{tag}{i}") for i in range(count)]
    for app in apps:
        assert decide(region, app.pk, "approve").status_code == 200
    return apps


def column_of(header) -> dict[str, int]:
    """The payment file's columns by their Chinese name (the header reads "金额（元） Amount
    (yuan)"): ``column_of(rows[0])["行号"]``."""
    return {str(name).split(" ")[0]: i for i, name in enumerate(header)}
