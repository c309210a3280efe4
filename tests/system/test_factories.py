"""The factories of tests/support build what the domain actions build (shared with bench/)."""

from decimal import Decimal

from finance.models import Budget, LedgerEntry
from finance.reconciliation import reconciliation_report
from grants.models import Membership
from tests.support.factories import (
    BudgetFactory,
    DraftApplicationFactory,
    OrganizationFactory,
    ProgramFactory,
    SubmittedApplicationFactory,
)
from tests.support.personas import APPLICANT, BELOW_REGION


def test_an_organisation_is_a_valid_sme_its_members_act_for(demo):
    org = OrganizationFactory(members=[APPLICANT])
    other = OrganizationFactory()
    assert org.uscc != other.uscc and org.district_id == "650102" and org.is_sme
    assert list(
        Membership.objects.filter(organization=org).values_list("user__username", flat=True)
    ) == [APPLICANT]


def test_a_draft_has_its_number_lines_and_required_attachments(demo):
    app = DraftApplicationFactory(fee="12000.00")
    assert app.status == "draft" and app.number.startswith("CS-")
    assert [(line.kind, line.amount) for line in app.cost_lines.all()] == [
        ("certification_fee", Decimal("12000.00"))
    ]
    assert sorted(app.attachments.values_list("kind", flat=True)) == ["certificate", "invoice"]


def test_a_submitted_claim_waits_at_district_and_one_approved_below_region_at_region(demo):
    waiting = SubmittedApplicationFactory(fee="30000.00")
    assert (waiting.status, waiting.level, waiting.award_amount) == (
        "in_review",
        "district",
        Decimal("30000.00"),
    )
    assert list(waiting.audit_entries.values_list("action", flat=True)) == [
        "application.create",
        "attachment.add",
        "attachment.add",
        "application.submit",
        "review.task_created",
    ]
    at_region = SubmittedApplicationFactory(approved_by=BELOW_REGION)
    assert (at_region.status, at_region.level) == ("in_review", "region")


def test_a_general_programme_with_its_budget_takes_a_claim(demo):
    program = ProgramFactory(cap=Decimal("20000.00"))
    budget = BudgetFactory(program=program, amount=Decimal("500000.00"))
    assert isinstance(budget, Budget) and budget.allocated == Decimal("500000.00")
    assert LedgerEntry.objects.get(budget=budget).kind == "allocate"
    app = SubmittedApplicationFactory(program=program, fee="25000.00")
    assert (app.program, app.status, app.level) == (program, "in_review", "district")
    assert app.number.startswith("GT-") and app.award_amount == Decimal("20000.00")  # capped
    assert reconciliation_report() == []
