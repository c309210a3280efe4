"""Budgets and their ledger: allocation, the commitment of an award on its final approval,
the merit queue, and holds (a service voucher's face value). Each writes its ledger entry,
updates the cached totals and audits, in one transaction.

Lock order: the application row first (the caller locks it: ``workflows.lifecycle``),
then programme-level rows (a batch, then budgets), each locked alone
(``select_for_update(of=("self",))``, never through a join that would lock the
programme too). The audit log takes no lock in a change's transaction. Budget totals still move only by conditional
``UPDATE ... SET committed = committed + x WHERE allocated >= committed + x``,
backed by the database's CheckConstraints, so the figures hold even for a
writer that forgets the order.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from finance.models import Budget, LedgerEntry, QueueEntry, Source, Tranche
from grants.audit import audit_record
from grants.errors import Conflict, Forbidden, InvalidInput
from grants.models import Application, BudgetPolicy, Role
from grants.selectors import has_role

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


class BudgetExceeded(Conflict):
    """The final approval cannot be committed: the programme's budget for the year is short."""

    status = 409
    slug = "budget-exceeded"
    title = gettext_lazy("The budget cannot cover this award")


# ---------------------------------------------------------------- helpers


def require_finance(actor, *, allow_admin: bool = False) -> None:
    """Refuse anyone but a finance officer (or, with ``allow_admin``, an administrator)."""
    roles = (Role.FINANCE, Role.ADMIN) if allow_admin else (Role.FINANCE,)
    if not has_role(actor, *roles):
        raise Forbidden(_("Only finance officers move money."))


def money_str(value: Decimal) -> str:
    """An amount as the ledger and the audit write it: two decimals."""
    return f"{value:.2f}"


def clean_reason(value: str, field: str = "reason") -> str:
    """A required reason of at most 300 characters, trimmed."""
    text = (value or "").strip()
    if not text:
        raise InvalidInput([{"field": field, "message": _("Give a reason.")}])
    if len(text) > 300:
        raise InvalidInput([{"field": field, "message": _("At most 300 characters.")}])
    return text


def budget_for(program, year: int | None = None) -> Budget | None:
    return Budget.objects.filter(program=program, year=year or program.year).first()


def award_committed(application: Application) -> Decimal:
    """Net commitment of one award from the ledger (commit − release)."""
    sums = LedgerEntry.objects.filter(application=application).aggregate(
        commit=Sum("amount", filter=Q(kind=LedgerEntry.Kind.COMMIT)),
        release=Sum("amount", filter=Q(kind=LedgerEntry.Kind.RELEASE)),
    )
    return (sums["commit"] or ZERO) - (sums["release"] or ZERO)


def commit_if_covered(
    *,
    budget: Budget,
    application: Application,
    amount: Decimal,
    actor,
    role: str,
    tranche: Tranche | None = None,
):
    """Commit ``amount`` if the budget still covers it: entry + audit, then one conditional UPDATE.

    The budget row is every award's of the programme, so its lock is taken last: the ledger
    and audit rows are written first, in a savepoint, and the conditional UPDATE ends it;
    when the budget no longer covers the amount the savepoint rolls them back.
    """
    try:
        with transaction.atomic():
            entry = LedgerEntry.objects.create(
                budget=budget,
                kind=LedgerEntry.Kind.COMMIT,
                amount=amount,
                application=application,
                tranche=tranche,
                actor=actor if getattr(actor, "pk", None) else None,
                reason=f"{application.number} 核定奖励资金"
                + (f"（第{tranche.position}笔 {tranche.label}）" if tranche else ""),
            )
            audit_record(
                actor=actor,
                action="budget.commit",
                obj=budget,
                application=application,
                role=role,
                data={
                    "amount": money_str(amount),
                    "entry": entry.pk,
                    "budget": budget.pk,
                    "tranche": tranche.pk if tranche else None,
                },
            )
            moved = Budget.objects.filter(
                pk=budget.pk, allocated__gte=F("committed") + amount
            ).update(committed=F("committed") + amount)
            if not moved:
                raise _NotCovered
    except _NotCovered:
        return None
    return entry


class _NotCovered(Exception):
    """The budget no longer covers the amount: roll the entry and its audit row back."""


# ---------------------------------------------------------------- budgets


def budget_allocate(
    *, actor, program, year: int, amount: Decimal, source: str, reason: str
) -> LedgerEntry:
    """Add money to a programme's budget for a year (amendments are new allocations, never edits).

    The action people take is ``workflows.lifecycle.budget_added``: it calls this, then
    commits the awards waiting in the programme's merit queue (``budget_queue_drain``).
    """
    require_finance(actor, allow_admin=True)
    if not isinstance(amount, Decimal) or amount <= 0 or amount != amount.quantize(CENT):
        raise InvalidInput(
            [
                {
                    "field": "amount",
                    "message": _("A positive amount in yuan with at most two decimals."),
                }
            ]
        )
    if source not in Source.values:
        raise InvalidInput(
            [{"field": "source", "message": _("One of: %(s)s") % {"s": ", ".join(Source.values)}}]
        )
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise InvalidInput([{"field": "year", "message": _("A year from 2000 to 2100.")}])
    reason = clean_reason(reason)
    with transaction.atomic():
        budget, _created = Budget.objects.get_or_create(program=program, year=year)
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


# ---------------------------------------------------------------- commitment on approval


def award_commit(*, application: Application, actor) -> bool:
    """Commit the award of an application whose last level just approved, in the caller's transaction.

    Returns True when the award is committed (or is zero): the application becomes ``approved``.
    Returns False when the programme uses the merit queue and the award now waits for budget.
    Raises ``BudgetExceeded`` under the refuse policy: the whole decision rolls back.
    """
    amount = application.award_amount or ZERO
    if amount <= 0:
        return True
    program = application.program
    budget = budget_for(program)
    if program.budget_policy == BudgetPolicy.QUEUE:
        if budget is None:
            budget, _created = Budget.objects.get_or_create(program=program, year=program.year)
        ahead = QueueEntry.objects.filter(
            budget=budget, status=QueueEntry.Status.WAITING, rank__gte=amount
        ).exists()
        if not ahead and commit_if_covered(
            budget=budget, application=application, amount=amount, actor=actor, role=Role.REVIEWER
        ):
            return True
        entry = QueueEntry.objects.create(
            application=application, budget=budget, amount=amount, rank=amount
        )
        audit_record(
            actor=actor,
            action="budget.queue",
            obj=application,
            application=application,
            role=Role.REVIEWER,
            from_status=application.status,
            to_status=application.status,
            data={"amount": money_str(amount), "rank": money_str(amount), "queue_entry": entry.pk},
        )
        return False
    if budget is None or not commit_if_covered(
        budget=budget, application=application, amount=amount, actor=actor, role=Role.REVIEWER
    ):
        available = Budget.objects.get(pk=budget.pk).available if budget else ZERO
        raise BudgetExceeded(
            _(
                "The %(year)s budget of %(program)s cannot cover this award: ¥%(amount)s is "
                "needed and ¥%(available)s is available. The approval was not recorded and the "
                "application stays at its level; ask finance to add budget."
            )
            % {
                "year": program.year,
                "program": program.display_name,
                "amount": money_str(amount),
                "available": money_str(available),
            },
            amount=money_str(amount),
            available=money_str(available),
        )
    return True


def budget_queue_drain(*, budget: Budget, actor) -> list[Application]:
    """Commit waiting awards best-ranked first while the budget covers them; stop at the first
    that does not fit, so a lower-ranked award never overtakes a higher-ranked one.

    Returns the applications whose award is now committed (in rank order); the caller
    (``workflows.lifecycle.budget_added``) approves each, in the same transaction.
    """
    committed = []
    waiting = (
        QueueEntry.objects.select_for_update()
        .filter(budget=budget, status=QueueEntry.Status.WAITING)
        .order_by("-rank", "queued_at", "id")
    )
    for entry in waiting:
        app = Application.objects.select_related("program", "organization").get(
            pk=entry.application_id
        )
        if not commit_if_covered(
            budget=budget, application=app, amount=entry.amount, actor=actor, role="finance"
        ):
            break
        entry.status = QueueEntry.Status.COMMITTED
        entry.resolved_at = timezone.now()
        entry.save(update_fields=["status", "resolved_at"])
        committed.append(app)
    return committed


# ---------------------------------------------------------------- holds (service vouchers)


def budget_hold(*, actor, program, amount: Decimal, reason: str, obj) -> LedgerEntry:
    """Commit ``amount`` of the programme's budget for something that is not yet an award
    (an issued service voucher): a ``commit`` entry without an application.

    Runs in the caller's transaction, after the audit head lock (see the lock order above).
    Raises ``BudgetExceeded`` when the budget cannot cover it.
    """
    budget = budget_for(program)
    moved = (
        Budget.objects.filter(pk=budget.pk, allocated__gte=F("committed") + amount).update(
            committed=F("committed") + amount
        )
        if budget is not None
        else 0
    )
    if not moved:
        available = Budget.objects.get(pk=budget.pk).available if budget else ZERO
        raise BudgetExceeded(
            _(
                "The %(year)s budget of %(program)s cannot hold ¥%(amount)s (¥%(available)s available)."
            )
            % {
                "year": program.year,
                "program": program.display_name,
                "amount": money_str(amount),
                "available": money_str(available),
            },
            amount=money_str(amount),
            available=money_str(available),
        )
    entry = LedgerEntry.objects.create(
        budget=budget,
        kind=LedgerEntry.Kind.COMMIT,
        amount=amount,
        actor=actor if getattr(actor, "pk", None) else None,
        reason=reason[:300],
    )
    audit_record(
        actor=actor,
        action="budget.hold",
        obj=obj,
        role=Role.ADMIN,
        data={"amount": money_str(amount), "entry": entry.pk, "budget": budget.pk},
    )
    return entry


def budget_hold_release(*, actor, hold: LedgerEntry, reason: str, obj) -> LedgerEntry:
    """Give a hold back to the budget: a ``release`` entry of the held amount (in the caller's transaction)."""
    if hold.kind != LedgerEntry.Kind.COMMIT or hold.application_id is not None:
        raise Conflict(_("Only a hold (a commitment without an award) can be released here."))
    moved = Budget.objects.filter(pk=hold.budget_id, committed__gte=F("paid") + hold.amount).update(
        committed=F("committed") - hold.amount
    )
    if not moved:
        raise Conflict(_("Releasing this hold would leave less committed than paid."))
    entry = LedgerEntry.objects.create(
        budget_id=hold.budget_id,
        kind=LedgerEntry.Kind.RELEASE,
        amount=hold.amount,
        actor=actor if getattr(actor, "pk", None) else None,
        reason=reason[:300],
    )
    audit_record(
        actor=actor,
        action="budget.release",
        obj=obj,
        role=Role.ADMIN if getattr(actor, "pk", None) else "system",
        data={"amount": money_str(hold.amount), "entry": entry.pk, "hold": hold.pk},
    )
    return entry
