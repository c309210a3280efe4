"""Helpers for finance tests: applications waiting at the region level, budgets of a chosen size."""

from __future__ import annotations

from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from finance.models import Budget, LedgerEntry
from grants.audit import audit_record
from grants.models import Application, Membership, Organization, Program, User
from grants.services import application_create, attachment_add
from tests.support.documents import PDF, cert_fields, make_uscc
from workflows.lifecycle import decide as decision_record
from workflows.lifecycle import submit as application_submit

CHAIN_BELOW_REGION = ("reviewer-tianshan", "reviewer-city")


def finance_org(serial: int = 501) -> Organization:
    applicant = User.objects.get(username="applicant")
    org, _ = Organization.objects.get_or_create(
        uscc=make_uscc(serial),
        defaults={"name": f"财务测试公司{serial}", "kind": "enterprise", "district_id": "650102"},
    )
    Membership.objects.get_or_create(user=applicant, organization=org)
    return org


def submitted_app(org: Organization, tag: str, fee: str = "30000.00") -> Application:
    applicant = User.objects.get(username="applicant")
    app = application_create(
        actor=applicant,
        program_code="cert-subsidy",
        organization_id=org.pk,
        fields=cert_fields(f"CERT-{tag}"),
        cost_lines=[{"kind": "certification_fee", "amount": fee, "reference": f"INV-{tag}"}],
    )
    for kind in ("certificate", "invoice"):
        attachment_add(
            actor=applicant,
            application=app,
            kind=kind,
            upload=SimpleUploadedFile(f"{kind}.pdf", PDF),
        )
    return application_submit(actor=applicant, application=app)


def at_region(org: Organization, tag: str, fee: str = "30000.00") -> Application:
    """An application approved by district and city, waiting at the region level."""
    app = submitted_app(org, tag, fee)
    for name in CHAIN_BELOW_REGION:
        app = decision_record(
            application=app, actor=User.objects.get(username=name), decision="approve"
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
