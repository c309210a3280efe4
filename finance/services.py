"""Finance actions. Each writes its ledger entry, updates the cached totals and audits, in one transaction.

Lock order: the application row first, then programme-level rows (batch, budget),
each locked alone (``select_for_update(of=("self",))``, never through a join that would
lock the programme too). Budget totals still move only by conditional
``UPDATE ... SET committed = committed + x WHERE allocated >= committed + x``,
backed by the database's CheckConstraints, so the figures hold even for a
writer that forgets the order.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from finance.models import (
    Budget,
    DisbursementBatch,
    DisbursementItem,
    LedgerEntry,
    QueueEntry,
    Source,
    Tranche,
)
from grants.audit import audit_record
from grants.errors import Conflict, Forbidden, InvalidInput, NotFound
from grants.models import Application, BudgetPolicy, Role, Status
from grants.selectors import applications_visible_to, has_role
from grants.transitions import transition

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
AWARD_STATUSES = (Status.APPROVED, Status.AWARDED, Status.PAID)
DISBURSABLE = (Status.APPROVED, Status.AWARDED)
MAX_BATCH = 500


def _not_disbursable(app: Application, field: str) -> dict | None:
    """The error at ``field`` for an award that its state keeps from being paid, else None."""
    if app.status in DISBURSABLE:
        return None
    return {
        "field": field,
        "message": _("%(number)s is %(status)s: only approved or awarded awards are paid.")
        % {"number": app.number, "status": app.get_status_display()},
    }


class BudgetExceeded(Conflict):
    """The final approval cannot be committed: the programme's budget for the year is short."""

    status = 409
    slug = "budget-exceeded"
    title = gettext_lazy("The budget cannot cover this award")


# ---------------------------------------------------------------- helpers


def lock_order() -> None:
    """Nothing to take first any more: the audit log no longer has a lock in a change's
    transaction (see ``grants.audit``). Callers lock the application row, then the
    programme-level rows (batch, budget), in that order. (Removed with the split of this
    module into a package.)"""


def _require_finance(actor, *, allow_admin: bool = False) -> None:
    roles = (Role.FINANCE, Role.ADMIN) if allow_admin else (Role.FINANCE,)
    if not has_role(actor, *roles):
        raise Forbidden(_("Only finance officers move money."))


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _reason(value: str, field: str = "reason") -> str:
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


def _try_commit(
    *,
    budget: Budget,
    application: Application,
    amount: Decimal,
    actor,
    role: str,
    tranche: Tranche | None = None,
):
    """Commit ``amount`` if the budget still covers it: one conditional UPDATE, then entry + audit."""
    moved = Budget.objects.filter(pk=budget.pk, allocated__gte=F("committed") + amount).update(
        committed=F("committed") + amount
    )
    if not moved:
        return None
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
            "amount": _money(amount),
            "entry": entry.pk,
            "budget": budget.pk,
            "tranche": tranche.pk if tranche else None,
        },
    )
    return entry


# ---------------------------------------------------------------- budgets


def budget_allocate(
    *, actor, program, year: int, amount: Decimal, source: str, reason: str
) -> LedgerEntry:
    """Add money to a programme's budget for a year (amendments are new allocations, never edits).

    The action people take is ``workflows.lifecycle.budget_added``: it calls this, then
    commits the awards waiting in the programme's merit queue (``budget_queue_drain``).
    """
    _require_finance(actor, allow_admin=True)
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
    reason = _reason(reason)
    with transaction.atomic():
        lock_order()
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
    lock_order()
    budget = budget_for(program)
    if program.budget_policy == BudgetPolicy.QUEUE:
        if budget is None:
            budget, _created = Budget.objects.get_or_create(program=program, year=program.year)
        ahead = QueueEntry.objects.filter(
            budget=budget, status=QueueEntry.Status.WAITING, rank__gte=amount
        ).exists()
        if not ahead and _try_commit(
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
            data={"amount": _money(amount), "rank": _money(amount), "queue_entry": entry.pk},
        )
        return False
    if budget is None or not _try_commit(
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
                "amount": _money(amount),
                "available": _money(available),
            },
            amount=_money(amount),
            available=_money(available),
        )
    return True


def budget_queue_drain(*, budget: Budget, actor) -> list[Application]:
    """Commit waiting awards best-ranked first while the budget covers them; stop at the first
    that does not fit, so a lower-ranked award never overtakes a higher-ranked one.

    Returns the applications whose award is now committed (in rank order); the caller
    (``workflows.lifecycle.budget_added``) approves each, in the same transaction.
    """
    lock_order()
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
        if not _try_commit(
            budget=budget, application=app, amount=entry.amount, actor=actor, role="finance"
        ):
            break
        entry.status = QueueEntry.Status.COMMITTED
        entry.resolved_at = timezone.now()
        entry.save(update_fields=["status", "resolved_at"])
        committed.append(app)
    return committed


# ---------------------------------------------------------------- tranches


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
                    % {"award": _money(award), "total": _money(total)},
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
        data={"tranches": [{"label": t.label, "amount": _money(t.amount)} for t in rows]},
    )
    return rows


def tranche_commit(*, tranche: Tranche, actor, role: str = "") -> LedgerEntry:
    """The tranche's condition is met: commit it on the programme's budget (caller's transaction).

    Refused (``BudgetExceeded``) when the budget cannot cover it; the caller's change rolls back.
    """
    lock_order()
    tranche = (
        Tranche.objects.select_for_update()
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
        _try_commit(
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
                "amount": _money(tranche.amount),
                "available": _money(available),
            },
            amount=_money(tranche.amount),
            available=_money(available),
        )
    tranche.status = Tranche.Status.COMMITTED
    tranche.save(update_fields=["status"])
    return entry


# ---------------------------------------------------------------- disbursements


def _batch_locked(batch_id: int) -> DisbursementBatch:
    batch = DisbursementBatch.objects.select_for_update().filter(pk=batch_id).first()
    if batch is None:
        raise NotFound(_("No such disbursement batch."))
    return batch


def disbursement_create(
    *,
    actor,
    application_ids: list[int],
    note: str = "",
    tranche_ids: list[int] | None = None,
) -> DisbursementBatch:
    """Put approved or awarded awards in a new batch for the bank; each award in one live batch only.

    An award paid in tranches is named by its tranches (``tranche_ids``), never as a whole;
    a tranche goes in a batch only once committed, i.e. after its condition was met.
    """
    _require_finance(actor)
    tranche_ids = list(tranche_ids or [])
    if not application_ids and not tranche_ids:
        raise InvalidInput([{"field": "awards", "message": _("Name at least one award.")}])
    if len(set(tranche_ids)) != len(tranche_ids):
        raise InvalidInput([{"field": "tranches", "message": _("A tranche is named twice.")}])
    if len(application_ids) > MAX_BATCH:
        raise InvalidInput(
            [
                {
                    "field": "awards",
                    "message": _("At most %(n)d awards per batch.") % {"n": MAX_BATCH},
                }
            ]
        )
    if len(set(application_ids)) != len(application_ids):
        raise InvalidInput([{"field": "awards", "message": _("An award is named twice.")}])
    note = (note or "").strip()[:300]
    from grants.services import next_in_sequence

    try:
        with transaction.atomic():
            lock_order()
            apps = {
                a.pk: a
                for a in applications_visible_to(actor)
                .filter(pk__in=application_ids)
                .select_for_update(of=("self",))
            }
            errors = []
            items = []
            for i, pk in enumerate(application_ids):
                field = f"awards[{i}]"
                app = apps.get(pk)
                if app is None:
                    errors.append({"field": field, "message": _("No such application.")})
                    continue
                if (refused := _not_disbursable(app, field)) is not None:
                    errors.append(refused)
                    continue
                if Tranche.objects.filter(application=app).exists():
                    errors.append(
                        {
                            "field": field,
                            "message": _("%(number)s is paid in tranches; name its tranches.")
                            % {"number": app.number},
                        }
                    )
                    continue
                commit = (
                    LedgerEntry.objects.filter(application=app, kind=LedgerEntry.Kind.COMMIT)
                    .select_related("budget")
                    .first()
                )
                if commit is None:
                    errors.append(
                        {
                            "field": field,
                            "message": _("%(number)s has no budget commitment.")
                            % {"number": app.number},
                        }
                    )
                    continue
                live = (
                    DisbursementItem.objects.filter(application=app, active=True)
                    .select_related("batch")
                    .first()
                )
                if live is not None:
                    errors.append(
                        {
                            "field": field,
                            "message": _("%(number)s is already in batch %(batch)s.")
                            % {"number": app.number, "batch": live.batch.number},
                        }
                    )
                    continue
                items.append((app, commit.budget, award_committed(app), None))
            items.extend(_tranche_items(actor, tranche_ids, errors))
            if errors:
                raise Conflict(
                    _("Some awards cannot be disbursed; nothing was created."), errors=errors
                )
            year = timezone.localdate().year
            serial = next_in_sequence(f"DB-{year}")
            batch = DisbursementBatch.objects.create(
                number=f"DB-{year}-{serial:06d}",
                total=sum((amount for _a, _b, amount, _t in items), ZERO),
                note=note,
                created_by=actor,
            )
            DisbursementItem.objects.bulk_create(
                [
                    DisbursementItem(
                        batch=batch, application=app, budget=budget, amount=amount, tranche=tranche
                    )
                    for app, budget, amount, tranche in items
                ]
            )
            for app, budget, amount, tranche in items:
                LedgerEntry.objects.create(
                    budget=budget,
                    kind=LedgerEntry.Kind.DISBURSE,
                    amount=amount,
                    application=app,
                    tranche=tranche,
                    batch=batch,
                    actor=actor,
                    reason=f"{batch.number} 拨付",
                )
                audit_record(
                    actor=actor,
                    action="disbursement.add",
                    obj=batch,
                    application=app,
                    role=Role.FINANCE,
                    data={
                        "batch": batch.number,
                        "amount": _money(amount),
                        "tranche": tranche.pk if tranche else None,
                    },
                )
            audit_record(
                actor=actor,
                action="disbursement.create",
                obj=batch,
                role=Role.FINANCE,
                data={
                    "number": batch.number,
                    "total": _money(batch.total),
                    "awards": [app.pk for app, _b, _a, _t in items],
                    "tranches": [t.pk for _app, _b, _a, t in items if t is not None],
                },
            )
    except IntegrityError:
        raise Conflict(
            _("Another batch took one of these awards just now; nothing was created.")
        ) from None
    return batch


def _tranche_items(actor, tranche_ids: list[int], errors: list[dict]) -> list[tuple]:
    """Batch items for committed tranches; an error per tranche that cannot be paid yet."""
    visible = applications_visible_to(actor).values("pk")
    tranches = {
        t.pk: t
        for t in Tranche.objects.select_for_update(of=("self",))
        .select_related("application")
        .filter(pk__in=tranche_ids, application__in=visible)
    }
    items = []
    for i, pk in enumerate(tranche_ids):
        field = f"tranches[{i}]"
        tranche = tranches.get(pk)
        if tranche is None:
            errors.append({"field": field, "message": _("No such tranche.")})
            continue
        app = tranche.application
        facts = {"n": tranche.position, "number": app.number, "label": tranche.label}
        if (refused := _not_disbursable(app, field)) is not None:
            errors.append(refused)
            continue
        if tranche.status == Tranche.Status.PLANNED:
            errors.append(
                {
                    "field": field,
                    "message": _(
                        "Tranche %(n)d of %(number)s (%(label)s) is not committed: its condition "
                        "has not been met."
                    )
                    % facts,
                }
            )
            continue
        if tranche.status == Tranche.Status.PAID:
            errors.append(
                {"field": field, "message": _("Tranche %(n)d of %(number)s is paid.") % facts}
            )
            continue
        live = tranche.disbursement_items.filter(active=True).select_related("batch").first()
        if live is not None:
            errors.append(
                {
                    "field": field,
                    "message": _("Tranche %(n)d of %(number)s is already in batch %(batch)s.")
                    % (facts | {"batch": live.batch.number}),
                }
            )
            continue
        commit = (
            LedgerEntry.objects.filter(tranche=tranche, kind=LedgerEntry.Kind.COMMIT)
            .select_related("budget")
            .get()
        )
        items.append((app, commit.budget, tranche.amount, tranche))
    return items


def disbursement_mark_paid(*, actor, batch_id: int, reference: str) -> DisbursementBatch:
    """The bank paid the batch: record its reference; every award becomes ``paid``, once.

    Repeating the call with the same reference changes nothing (a replayed bank callback);
    any other call on a paid or cancelled batch is a conflict.
    """
    _require_finance(actor)
    reference = (reference or "").strip()
    if not reference or len(reference) > 100:
        raise InvalidInput(
            [
                {
                    "field": "reference",
                    "message": _("The bank's transaction id, 1 to 100 characters."),
                }
            ]
        )
    with transaction.atomic():
        lock_order()
        batch = _batch_locked(batch_id)
        if batch.status == DisbursementBatch.Status.PAID:
            if batch.reference == reference:
                return batch
            raise Conflict(
                _("Batch %(number)s was already paid (bank reference %(ref)s).")
                % {"number": batch.number, "ref": batch.reference}
            )
        if batch.status == DisbursementBatch.Status.CANCELLED:
            raise Conflict(_("Batch %(number)s was cancelled.") % {"number": batch.number})
        if DisbursementBatch.objects.filter(reference=reference).exclude(pk=batch.pk).exists():
            raise Conflict(
                _("The bank reference %(ref)s is already recorded for another batch.")
                % {"ref": reference}
            )
        items = list(batch.items.filter(active=True).order_by("application_id"))
        apps = {
            a.pk: a
            for a in Application.objects.select_for_update().filter(
                pk__in=[i.application_id for i in items]
            )
        }
        for item in items:
            app = apps[item.application_id]
            if app.status not in DISBURSABLE:
                raise Conflict(
                    _("%(number)s is %(status)s and cannot be paid.")
                    % {"number": app.number, "status": app.get_status_display()}
                )
        for item in sorted(items, key=lambda i: i.budget_id):
            app = apps[item.application_id]
            moved = Budget.objects.filter(
                pk=item.budget_id, committed__gte=F("paid") + item.amount
            ).update(paid=F("paid") + item.amount)
            if not moved:
                raise Conflict(
                    _("Paying %(number)s would exceed its budget's commitments.")
                    % {"number": app.number}
                )
            LedgerEntry.objects.create(
                budget_id=item.budget_id,
                kind=LedgerEntry.Kind.PAY,
                amount=item.amount,
                application=app,
                tranche_id=item.tranche_id,
                batch=batch,
                actor=actor,
                reason=f"{batch.number} 银行流水 {reference}",
            )
            if item.tranche_id:
                Tranche.objects.filter(pk=item.tranche_id).update(status=Tranche.Status.PAID)
                if (
                    Tranche.objects.filter(application=app)
                    .exclude(status=Tranche.Status.PAID)
                    .exists()
                ):
                    audit_record(
                        actor=actor,
                        action="tranche.paid",
                        obj=app,
                        application=app,
                        role=Role.FINANCE,
                        data={
                            "batch": batch.number,
                            "reference": reference,
                            "tranche": item.tranche_id,
                            "amount": _money(item.amount),
                        },
                    )
                    continue  # the award is paid when its last tranche is
            transition(
                app,
                to=Status.PAID,
                actor=actor,
                role=Role.FINANCE,
                data={"batch": batch.number, "reference": reference, "amount": _money(item.amount)},
            )
        batch.status = DisbursementBatch.Status.PAID
        batch.reference = reference
        batch.closed_by = actor
        batch.closed_at = timezone.now()
        batch.save(update_fields=["status", "reference", "closed_by", "closed_at"])
        audit_record(
            actor=actor,
            action="disbursement.paid",
            obj=batch,
            role=Role.FINANCE,
            from_status=DisbursementBatch.Status.OPEN,
            to_status=DisbursementBatch.Status.PAID,
            data={"number": batch.number, "reference": reference, "total": _money(batch.total)},
        )
    return batch


def disbursement_cancel(*, actor, batch_id: int, reason: str) -> DisbursementBatch:
    """Cancel an open batch: its awards are free for another batch; the disbursements are reversed."""
    _require_finance(actor)
    reason = _reason(reason)
    with transaction.atomic():
        lock_order()
        batch = _batch_locked(batch_id)
        if batch.status != DisbursementBatch.Status.OPEN:
            raise Conflict(
                _("Batch %(number)s is %(status)s; only an open batch can be cancelled.")
                % {"number": batch.number, "status": batch.get_status_display()}
            )
        for entry in batch.ledger_entries.filter(kind=LedgerEntry.Kind.DISBURSE):
            LedgerEntry.objects.create(
                budget_id=entry.budget_id,
                kind=LedgerEntry.Kind.REVERSE,
                amount=entry.amount,
                application_id=entry.application_id,
                batch=batch,
                actor=actor,
                reason=f"{batch.number} 撤销：{reason}"[:300],
            )
        batch.items.update(active=False)
        batch.status = DisbursementBatch.Status.CANCELLED
        batch.closed_by = actor
        batch.closed_at = timezone.now()
        batch.cancel_reason = reason
        batch.save(update_fields=["status", "closed_by", "closed_at", "cancel_reason"])
        audit_record(
            actor=actor,
            action="disbursement.cancel",
            obj=batch,
            role=Role.FINANCE,
            from_status=DisbursementBatch.Status.OPEN,
            to_status=DisbursementBatch.Status.CANCELLED,
            comment=reason,
            data={"number": batch.number},
        )
    return batch


# ---------------------------------------------------------------- holds (service vouchers)


def budget_hold(*, actor, program, amount: Decimal, reason: str, obj) -> LedgerEntry:
    """Commit ``amount`` of the programme's budget for something that is not yet an award
    (an issued service voucher): a ``commit`` entry without an application.

    Runs in the caller's transaction, after the audit head lock (see the lock order above).
    Raises ``BudgetExceeded`` when the budget cannot cover it.
    """
    lock_order()
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
                "amount": _money(amount),
                "available": _money(available),
            },
            amount=_money(amount),
            available=_money(available),
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
        data={"amount": _money(amount), "entry": entry.pk, "budget": budget.pk},
    )
    return entry


def budget_hold_release(*, actor, hold: LedgerEntry, reason: str, obj) -> LedgerEntry:
    """Give a hold back to the budget: a ``release`` entry of the held amount (in the caller's transaction)."""
    if hold.kind != LedgerEntry.Kind.COMMIT or hold.application_id is not None:
        raise Conflict(_("Only a hold (a commitment without an award) can be released here."))
    lock_order()
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
        data={"amount": _money(hold.amount), "entry": entry.pk, "hold": hold.pk},
    )
    return entry
