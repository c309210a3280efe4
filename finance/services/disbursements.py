"""Disbursement batches: awards (or committed tranches) put together for the bank, the bank's
reference recorded when it paid (the awards become ``paid``), or the batch cancelled.

Lock order as in ``finance.services.budget``: the audit head first, then batch rows,
application rows, budget rows.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from finance.models import Budget, DisbursementBatch, DisbursementItem, LedgerEntry, Tranche
from finance.services.budget import (
    ZERO,
    award_committed,
    clean_reason,
    money_str,
    require_finance,
)
from grants.audit import audit_record
from grants.errors import BankDetailsMissing, Conflict, InvalidInput, NotFound
from grants.models import Application, Organization, Role, Status
from grants.selectors import applications_visible_to
from grants.services import next_in_sequence
from grants.transitions import transition

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
    require_finance(actor)
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
    try:
        with transaction.atomic():
            apps = {
                a.pk: a
                for a in applications_visible_to(actor)
                .filter(pk__in=application_ids)
                .select_for_update(of=("self",))
            }
            errors: list[dict] = []
            unpaid: list[dict] = []  # payees without confirmed bank details (422, not 409)
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
                if (missing := _no_bank_details(app, field)) is not None:
                    unpaid.append(missing)
                    continue
                items.append((app, commit.budget, award_committed(app), None))
            items.extend(_tranche_items(actor, tranche_ids, errors, unpaid))
            if errors:
                raise Conflict(
                    _("Some awards cannot be disbursed; nothing was created."),
                    errors=errors + unpaid,
                )
            if unpaid:
                raise BankDetailsMissing(
                    unpaid,
                    _("Some payees have no confirmed bank details; nothing was created: %(names)s")
                    % {"names": "、".join(dict.fromkeys(e["organization"] for e in unpaid))},
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
                        batch=batch,
                        application=app,
                        budget=budget,
                        amount=amount,
                        tranche=tranche,
                        **_payee_snapshot(app.organization),
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
                        "amount": money_str(amount),
                        "tranche": tranche.pk if tranche else None,
                        "payee": _payee_snapshot(app.organization),
                    },
                )
            audit_record(
                actor=actor,
                action="disbursement.create",
                obj=batch,
                role=Role.FINANCE,
                data={
                    "number": batch.number,
                    "total": money_str(batch.total),
                    "awards": [app.pk for app, _b, _a, _t in items],
                    "tranches": [t.pk for _app, _b, _a, t in items if t is not None],
                },
            )
    except IntegrityError:
        raise Conflict(
            _("Another batch took one of these awards just now; nothing was created.")
        ) from None
    return batch


def _no_bank_details(app: Application, field: str) -> dict | None:
    """The error at ``field`` when the award's organisation has no confirmed bank details."""
    org = app.organization
    if org.has_confirmed_bank_details:
        return None
    return {
        "field": field,
        "organization": org.name,
        "message": _(
            "%(organization)s (unified social credit code %(uscc)s) has no confirmed bank "
            "details: %(number)s can be paid once its administrators give them and they are "
            "confirmed."
        )
        % {"organization": org.name, "uscc": org.uscc, "number": app.number},
    }


def _payee_snapshot(org: Organization) -> dict:
    """What the payment file prints for the payee, as it is when the batch is made."""
    return {
        "payee_name": org.name,
        "payee_uscc": org.uscc,
        "account_name": org.bank_account_name,
        "bank_name": org.bank_name,
        "account_number": org.bank_account_number,
        "cnaps_code": org.cnaps_code,
        "bank_confirmed_at": org.bank_confirmed_at,
    }


def _tranche_items(
    actor, tranche_ids: list[int], errors: list[dict], unpaid: list[dict]
) -> list[tuple]:
    """Batch items for committed tranches; an error per tranche that cannot be paid yet."""
    visible = applications_visible_to(actor).values("pk")
    tranches = {
        t.pk: t
        for t in Tranche.objects.select_for_update(of=("self",))
        .select_related("application__organization")
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
        if (missing := _no_bank_details(app, field)) is not None:
            unpaid.append(missing)
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
    require_finance(actor)
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
                            "amount": money_str(item.amount),
                        },
                    )
                    continue  # the award is paid when its last tranche is
            transition(
                app,
                to=Status.PAID,
                actor=actor,
                role=Role.FINANCE,
                data={
                    "batch": batch.number,
                    "reference": reference,
                    "amount": money_str(item.amount),
                },
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
            data={"number": batch.number, "reference": reference, "total": money_str(batch.total)},
        )
    return batch


def disbursement_cancel(*, actor, batch_id: int, reason: str) -> DisbursementBatch:
    """Cancel an open batch: its awards are free for another batch; the disbursements are reversed."""
    require_finance(actor)
    reason = clean_reason(reason)
    with transaction.atomic():
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
