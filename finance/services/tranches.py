"""Tranches: an award split into parts paid on conditions (a navigation project's milestones).

Each part is committed on the programme's budget when its condition is met
(``tranche_commit``); only a committed part goes into a disbursement batch. Lock order
as in ``finance.services.budget``.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from finance.models import Budget, LedgerEntry, Tranche
from finance.services.budget import (
    ZERO,
    BudgetExceeded,
    budget_for,
    commit_if_covered,
    money_str,
)
from grants.audit import audit_record
from grants.errors import Conflict, InvalidInput
from grants.models import Application


def tranche_plan(*, application: Application, parts: list[dict], actor, role: str = "") -> list:
    """Split an award into parts paid on conditions (in the caller's transaction).

    ``parts``: ``[{"label", "condition", "amount"}]`` in order; they must add up to the award.
    Nothing is committed yet: each part is committed by ``tranche_commit`` when its condition
    is met, and only a committed part can be put in a disbursement batch.
    """
    award = application.award_amount or ZERO
    if Tranche.objects.filter(application=application).exists():
        raise Conflict(_("%(number)s already has a tranche plan.") % {"number": application.number})
    total = sum((Decimal(p["amount"]) for p in parts), ZERO)
    if not parts or total != award or any(Decimal(p["amount"]) <= 0 for p in parts):
        raise InvalidInput(
            [
                {
                    "field": "tranches",
                    "message": _(
                        "The tranches must be positive and add up to the award ¥%(award)s "
                        "(they add up to ¥%(total)s)."
                    )
                    % {"award": money_str(award), "total": money_str(total)},
                }
            ]
        )
    rows = Tranche.objects.bulk_create(
        [
            Tranche(
                application=application,
                position=i + 1,
                label=p["label"][:100],
                condition=p.get("condition", "")[:200],
                amount=Decimal(p["amount"]),
            )
            for i, p in enumerate(parts)
        ]
    )
    audit_record(
        actor=actor,
        action="tranche.plan",
        obj=application,
        application=application,
        role=role,
        data={"tranches": [{"label": t.label, "amount": money_str(t.amount)} for t in rows]},
    )
    return rows


def tranche_commit(*, tranche: Tranche, actor, role: str = "") -> LedgerEntry:
    """The tranche's condition is met: commit it on the programme's budget (caller's transaction).

    Refused (``BudgetExceeded``) when the budget cannot cover it; the caller's change rolls back.
    """
    tranche = (
        Tranche.objects.select_for_update(of=("self",))
        .select_related("application__program")
        .get(pk=tranche.pk)
    )
    if tranche.status != Tranche.Status.PLANNED:
        raise Conflict(
            _("Tranche %(n)d of %(number)s is already %(status)s.")
            % {
                "n": tranche.position,
                "number": tranche.application.number,
                "status": tranche.get_status_display(),
            }
        )
    application = tranche.application
    program = application.program
    budget = budget_for(program)
    entry = (
        commit_if_covered(
            budget=budget,
            application=application,
            amount=tranche.amount,
            actor=actor,
            role=role,
            tranche=tranche,
        )
        if budget is not None
        else None
    )
    if entry is None:
        available = Budget.objects.get(pk=budget.pk).available if budget else ZERO
        raise BudgetExceeded(
            _(
                "The %(year)s budget of %(program)s cannot cover this tranche: ¥%(amount)s is "
                "needed and ¥%(available)s is available. Ask finance to add budget."
            )
            % {
                "year": program.year,
                "program": program.display_name,
                "amount": money_str(tranche.amount),
                "available": money_str(available),
            },
            amount=money_str(tranche.amount),
            available=money_str(available),
        )
    tranche.status = Tranche.Status.COMMITTED
    tranche.save(update_fields=["status"])
    return entry
