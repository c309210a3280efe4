"""Finance actions. Each writes its ledger entry, updates the cached totals and audits, in one transaction."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import F

from finance.models import Budget, LedgerEntry, Source
from grants.audit import audit_record
from grants.errors import InvalidInput


def budget_allocate(
    *, actor, program, year: int, amount: Decimal, source: str, reason: str
) -> LedgerEntry:
    """Add money to a programme's budget for a year (amendments are new allocations, never edits)."""
    if not isinstance(amount, Decimal) or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise InvalidInput(
            [{"field": "amount", "message": "a positive amount in yuan with at most two decimals"}]
        )
    if source not in Source.values:
        raise InvalidInput([{"field": "source", "message": f"one of {', '.join(Source.values)}"}])
    with transaction.atomic():
        budget, _ = Budget.objects.get_or_create(program=program, year=year)
        Budget.objects.filter(pk=budget.pk).update(allocated=F("allocated") + amount)
        entry = LedgerEntry.objects.create(
            budget=budget,
            kind=LedgerEntry.Kind.ALLOCATE,
            amount=amount,
            source=source,
            actor=actor,
            reason=reason,
        )
        audit_record(
            actor=actor,
            action="budget.allocate",
            obj=budget,
            role="finance",
            data={"amount": str(amount), "source": source, "entry": entry.pk, "reason": reason},
        )
    return entry
