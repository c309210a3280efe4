"""API v1: budgets, ledger, disbursement batches, awards, reconciliation (finance and auditors).

Reads: finance, auditors, administrators. Writes: finance (budget allocations also
administrators); an auditor gets 403 on every write. Money is a two-place string.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja import Status as Reply
from pydantic import Field

from config.apikit import ERRORS, MoneyStr, Page, paginate
from finance.models import DisbursementBatch, LedgerEntry, QueueEntry
from finance.reconciliation import reconciliation_report
from finance.reports import (
    Filters,
    audit_workbook,
    award_facts,
    awards,
    budget_rows,
    payment_file_csv,
    payment_file_xlsx,
)
from finance.services import disbursements
from finance.services.budget import QUEUE_ORDER, merit_str
from grants.errors import Forbidden, InvalidInput, NotFound
from grants.models import Program, Role
from grants.presenters import local, money
from grants.selectors import has_role
from grants.services import parse_money
from workflows import lifecycle

router = Router(tags=["finance"])

READERS = (Role.FINANCE, Role.AUDITOR, Role.ADMIN)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _reader(request) -> None:
    if not has_role(request.user, *READERS):
        raise Forbidden(_("Only finance officers and auditors see the ledger."))


def _writer(request, *, allow_admin: bool = False) -> None:
    roles = (Role.FINANCE, Role.ADMIN) if allow_admin else (Role.FINANCE,)
    if not has_role(request.user, *roles):
        raise Forbidden(_("Only finance officers move money; auditors have read-only access."))


# ---------------------------------------------------------------- schemas


class BudgetIn(Schema):
    program: str
    year: int | None = None
    amount: MoneyStr
    source: str
    reason: str


class LedgerEntryOut(Schema):
    id: int
    at: dt.datetime
    program: str
    year: int
    kind: str
    amount: str
    source: str
    application: int | None
    application_number: str | None
    batch: str | None
    actor: str | None
    reason: str


class LedgerPage(Page):
    results: list[LedgerEntryOut]


class BudgetRowOut(Schema):
    program: str
    year: int
    policy: str
    allocated: str
    committed: str
    paid: str
    available: str
    waiting: str
    sources: dict[str, str]
    ledger_agrees: bool


class DisbursementIn(Schema):
    awards: list[int] = []
    tranches: list[int] = Field(
        default=[], description="Tranche ids of awards paid in parts (committed tranches only)"
    )
    note: str = ""


class PaidIn(Schema):
    reference: str


class CancelIn(Schema):
    reason: str


class BatchItemOut(Schema):
    application: int
    tranche: int | None = None
    number: str
    organization_name: str
    amount: str
    active: bool
    bank_account: dict[str, str] | None = Field(
        None,
        description="The payee's bank details recorded with the batch "
        "(account_name, bank_name, account_number, cnaps_code); a later change does not alter them",
    )


class BatchOut(Schema):
    id: int
    number: str
    status: str
    total: str
    note: str
    reference: str
    created_by: str
    created_at: dt.datetime
    closed_at: dt.datetime | None
    items: list[BatchItemOut]


class BatchPage(Page):
    results: list[BatchOut]


class AwardOut(Schema):
    application: int
    number: str
    program: str
    organization_name: str
    district: str
    status: str
    award_amount: str | None
    committed: str
    paid: str
    batch: str | None
    queued: bool
    links: dict[str, str]


class AwardPage(Page):
    results: list[AwardOut]


class QueueOut(Schema):
    position: int
    application: int
    number: str
    program: str
    amount: str
    rank: str | None = Field(
        description="The merit under the programme's ranking (择优), higher first; null: no "
        "merit could be computed (ranked last). Never the award amount."
    )
    queued_at: dt.datetime


class MismatchOut(Schema):
    kind: str
    label: str
    detail: str
    budget: int | None
    application: int | None
    entry: int | None


class ReconciliationOut(Schema):
    ok: bool
    mismatches: list[MismatchOut]


# ---------------------------------------------------------------- serialisers


def entry_dict(e: LedgerEntry) -> dict[str, Any]:
    return {
        "id": e.pk,
        "at": local(e.created_at),
        "program": e.budget.program.code,
        "year": e.budget.year,
        "kind": e.kind,
        "amount": money(e.amount),
        "source": e.source,
        "application": e.application_id,
        "application_number": e.application.number if e.application else None,
        "batch": e.batch.number if e.batch else None,
        "actor": e.actor.username if e.actor else None,
        "reason": e.reason,
    }


def batch_dict(b: DisbursementBatch) -> dict[str, Any]:
    return {
        "id": b.pk,
        "number": b.number,
        "status": b.status,
        "total": money(b.total),
        "note": b.note,
        "reference": b.reference,
        "created_by": b.created_by.username,
        "created_at": local(b.created_at),
        "closed_at": local(b.closed_at),
        "items": [
            {
                "application": i.application_id,
                "tranche": i.tranche_id,
                "number": i.application.number,
                "organization_name": i.payee_name or i.application.organization.name,
                "amount": money(i.amount),
                "active": i.active,
                "bank_account": {
                    "account_name": i.account_name,
                    "bank_name": i.bank_name,
                    "account_number": i.account_number,
                    "cnaps_code": i.cnaps_code,
                }
                if i.account_number
                else None,
            }
            for i in b.items.all()
        ],
    }


def _batches():
    return DisbursementBatch.objects.select_related("created_by").prefetch_related(
        "items__application__organization"
    )


def award_dict(app) -> dict[str, Any]:
    facts = award_facts(app)
    return {
        "application": app.pk,
        "number": app.number,
        "program": app.program.code,
        "organization_name": app.organization.name,
        "district": app.organization.district_id,
        "status": app.status,
        "award_amount": money(app.award_amount),
        "committed": money(facts["committed"]),
        "paid": money(facts["paid"]),
        "batch": facts["batch"].number if facts["batch"] else None,
        "queued": facts["queued"] is not None,
        "links": {
            "application": f"/api/v1/applications/{app.pk}",
            "decisions": f"/api/v1/applications/{app.pk}#history",
            "checks": f"/api/v1/applications/{app.pk}#checks",
            "letter": f"/api/v1/applications/{app.pk}/letter",
            "page": f"/finance/awards/{app.pk}/",
        },
    }


def _batch_or_404(batch_id: int) -> DisbursementBatch:
    batch = _batches().filter(pk=batch_id).first()
    if batch is None:
        raise NotFound(_("No such disbursement batch."))
    return batch


# ---------------------------------------------------------------- endpoints


@router.get(
    "/budgets",
    response={200: list[BudgetRowOut], **ERRORS},
    summary="Budgets per programme and year",
)
def budget_list(request):
    _reader(request)
    return [
        {
            "program": r["program"].code,
            "year": r["year"],
            "policy": r["program"].budget_policy,
            "allocated": money(r["allocated"]),
            "committed": money(r["committed"]),
            "paid": money(r["paid"]),
            "available": money(r["available"]),
            "waiting": money(r["waiting"]),
            "sources": {k: money(v) for k, v in r["sources"].items()},
            "ledger_agrees": r["consistent"],
        }
        for r in budget_rows(Filters.parse(request.GET))
    ]


@router.post(
    "/budgets",
    response={201: LedgerEntryOut, **ERRORS},
    summary="Allocate budget to a programme for a year (an amendment is a new allocation)",
)
def budget_create(request, payload: BudgetIn):
    _writer(request, allow_admin=True)
    program = Program.objects.filter(code=payload.program).first()
    if program is None:
        raise InvalidInput([{"field": "program", "message": _("Unknown programme.")}])
    entry = lifecycle.budget_added(
        actor=request.user,
        program=program,
        year=payload.year or program.year,
        amount=parse_money(payload.amount, "amount"),
        source=payload.source,
        reason=payload.reason,
    )
    entry = LedgerEntry.objects.select_related("budget__program", "actor").get(pk=entry.pk)
    return Reply(201, entry_dict(entry))


@router.get(
    "/ledger",
    response={200: LedgerPage, **ERRORS},
    summary="Ledger entries: allocations, commitments, disbursements, payments",
)
def ledger(request, kind: str = "", application: int | None = None):
    _reader(request)
    if application is not None and not 0 < application < 2**63:
        # no application has such an id (and the database's integer would overflow)
        raise InvalidInput([{"field": "application", "message": _("No such application.")}])
    qs = Filters.parse(request.GET).entries(LedgerEntry.objects.all())
    if kind:
        if kind not in LedgerEntry.Kind.values:
            raise InvalidInput(
                [
                    {
                        "field": "kind",
                        "message": _("One of: %(s)s") % {"s": ", ".join(LedgerEntry.Kind.values)},
                    }
                ]
            )
        qs = qs.filter(kind=kind)
    if application is not None:
        qs = qs.filter(application_id=application)
    qs = qs.select_related("budget__program", "application", "batch", "actor").order_by("id")
    return paginate(request, qs, entry_dict)


@router.get("/disbursements", response={200: BatchPage, **ERRORS}, summary="Disbursement batches")
def disbursement_list(request, status: str = ""):
    _reader(request)
    qs = Filters.parse(request.GET).batches(_batches())
    if status:
        qs = qs.filter(status=status)
    return paginate(request, qs.order_by("-id"), batch_dict)


@router.post(
    "/disbursements",
    response={201: BatchOut, **ERRORS},
    summary="Build a batch from approved or awarded applications",
)
def disbursement_create(request, payload: DisbursementIn):
    _writer(request)
    batch = disbursements.disbursement_create(
        actor=request.user,
        application_ids=payload.awards,
        tranche_ids=payload.tranches,
        note=payload.note,
    )
    return Reply(201, batch_dict(_batch_or_404(batch.pk)))


@router.get("/disbursements/{batch_id}", response={200: BatchOut, **ERRORS})
def disbursement_detail(request, batch_id: int):
    _reader(request)
    return batch_dict(_batch_or_404(batch_id))


@router.get(
    "/disbursements/{batch_id}/payment-file",
    response={200: None, **ERRORS},
    summary="The bank payment file: ?format=xlsx (default) or csv",
)
def disbursement_file(request, batch_id: int, format: str = "xlsx"):
    _reader(request)
    batch = _batch_or_404(batch_id)
    if format == "csv":
        response = HttpResponse(payment_file_csv(batch), content_type="text/csv; charset=utf-8")
    elif format == "xlsx":
        response = HttpResponse(payment_file_xlsx(batch), content_type=XLSX)
    else:
        raise InvalidInput([{"field": "format", "message": _("xlsx or csv")}])
    response["Content-Disposition"] = f'attachment; filename="{batch.number}.{format}"'
    return response


@router.post(
    "/disbursements/{batch_id}/paid",
    response={200: BatchOut, **ERRORS},
    summary="Record the bank reference; the batch's awards become paid",
)
def disbursement_paid(request, batch_id: int, payload: PaidIn):
    _writer(request)
    disbursements.disbursement_mark_paid(
        actor=request.user, batch_id=batch_id, reference=payload.reference
    )
    return batch_dict(_batch_or_404(batch_id))


@router.post(
    "/disbursements/{batch_id}/cancel",
    response={200: BatchOut, **ERRORS},
    summary="Cancel an open batch; its awards can go into another batch",
)
def disbursement_cancel(request, batch_id: int, payload: CancelIn):
    _writer(request)
    disbursements.disbursement_cancel(actor=request.user, batch_id=batch_id, reason=payload.reason)
    return batch_dict(_batch_or_404(batch_id))


@router.get(
    "/awards",
    response={200: AwardPage, **ERRORS},
    summary="Awards (approved, awarded, paid, or waiting in a merit queue) with their money",
)
def award_list(request, status: str = ""):
    _reader(request)
    qs = awards(request.user, Filters.parse(request.GET)).select_related("program", "organization")
    if status:
        qs = qs.filter(status=status)
    return paginate(request, qs, award_dict)


@router.get("/budget-queue", response={200: list[QueueOut], **ERRORS}, summary="The merit queues")
def budget_queue(request, program: str = ""):
    _reader(request)
    qs = QueueEntry.objects.filter(status=QueueEntry.Status.WAITING).select_related(
        "application", "budget__program"
    )
    if program:
        qs = qs.filter(budget__program__code=program)
    out, positions = [], dict[int, int]()
    for e in qs.order_by("budget_id", *QUEUE_ORDER):
        positions[e.budget_id] = positions.get(e.budget_id, 0) + 1
        out.append(
            {
                "position": positions[e.budget_id],
                "application": e.application_id,
                "number": e.application.number,
                "program": e.budget.program.code,
                "amount": money(e.amount),
                "rank": merit_str(e.rank),
                "queued_at": local(e.queued_at),
            }
        )
    return out


@router.get(
    "/reconciliation",
    response={200: ReconciliationOut, **ERRORS},
    summary="Mismatches between awards, ledger and budget totals; empty when all is well",
)
def reconciliation(request):
    _reader(request)
    found = reconciliation_report()
    return {"ok": not found, "mismatches": [m.as_dict() for m in found]}


@router.get(
    "/finance/export",
    response={200: None, **ERRORS},
    summary="Excel workbook of budgets, ledger, batches, awards and reconciliation (filters apply)",
)
def finance_export(request):
    _reader(request)
    data = audit_workbook(request.user, Filters.parse(request.GET))
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="fundflow-finance.xlsx"'
    return response
