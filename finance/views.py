"""Web pages for finance officers and auditors: budgets with a chart, ledger, batches, awards, reconciliation.

Reads go through ``finance.reports`` (applications through the one visibility
selector); writes only through ``finance.services``. Auditors see every page and
every form is refused to them (403): the same guards as the API.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from finance.models import DisbursementBatch, DisbursementItem, LedgerEntry, QueueEntry, Source
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
from finance.services.budget import QUEUE_ORDER
from grants.errors import DomainError, InvalidInput
from grants.models import Jurisdiction, Level, Program, Role, Status
from grants.pages import forbidden
from grants.presenters import application_dict, checks_view, history_view
from grants.selectors import applications_visible_to, has_role
from grants.services import parse_money
from workflows import lifecycle

READERS = (Role.FINANCE, Role.AUDITOR, Role.ADMIN)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _guard(request, *, write: bool = False, allow_admin: bool = False):
    """None when allowed, else the 403 page."""
    if write:
        roles = (Role.FINANCE, Role.ADMIN) if allow_admin else (Role.FINANCE,)
        if not has_role(request.user, *roles):
            return forbidden(
                request, _("Only finance officers move money; auditors have read-only access.")
            )
        return None
    if not has_role(request.user, *READERS):
        return forbidden(request, _("Only finance officers and auditors see the ledger."))
    return None


def _filters(request) -> tuple[Filters, dict]:
    try:
        filters = Filters.parse(request.GET)
    except DomainError:
        filters = Filters()
    return filters, {
        "filters": filters,
        "programs": Program.objects.order_by("code"),
        "districts": Jurisdiction.objects.filter(level=Level.DISTRICT),
        "sources": Source.choices,
        "query": request.GET.urlencode(),
    }


def budget_chart(rows: list[dict], width: int = 640) -> dict:
    """Geometry of a horizontal bar chart (inline SVG, no JavaScript): per budget, allocated as the
    full track, committed and paid drawn over it, all to one scale."""
    bar_h, gap, label_w = 18, 34, 190
    track = width - label_w - 20
    top = max((r["allocated"] for r in rows), default=Decimal("0")) or Decimal("1")
    bars = []
    for i, r in enumerate(rows):
        y = 10 + i * (bar_h * 2 + gap)

        def scale(value: Decimal) -> float:
            return round(float(value / top) * track, 1)

        bars.append(
            {
                "label": f"{r['program'].display_name[:14]} {r['year']}",
                "y": y,
                "text_y": y + bar_h - 4,
                "y2": y + bar_h,
                "under_y": y + bar_h * 2 + 12,
                "allocated_w": scale(r["allocated"]),
                "committed_w": scale(r["committed"]),
                "paid_w": scale(r["paid"]),
                "row": r,
                "percent": round(float(r["committed"] / r["allocated"] * 100), 1)
                if r["allocated"]
                else 0,
            }
        )
    return {
        "bars": bars,
        "width": width,
        "height": 20 + len(rows) * (bar_h * 2 + gap),
        "x0": label_w,
        "bar_h": bar_h,
    }


@login_required
def overview(request):
    if denied := _guard(request):
        return denied
    filters, context = _filters(request)
    rows = budget_rows(filters)
    queue = (
        QueueEntry.objects.filter(status=QueueEntry.Status.WAITING)
        .select_related("application__organization", "budget__program")
        .order_by("budget_id", *QUEUE_ORDER)
    )
    context.update(
        rows=rows,
        chart=budget_chart(rows),
        queue=queue,
        can_write=has_role(request.user, Role.FINANCE, Role.ADMIN),
        all_programs=Program.objects.filter(is_active=True).order_by("code"),
    )
    return render(request, "finance/overview.html", context)


@login_required
@require_POST
def allocate(request):
    if denied := _guard(request, write=True, allow_admin=True):
        return denied
    program = Program.objects.filter(code=request.POST.get("program", "")).first()
    try:
        if program is None:
            raise InvalidInput([{"field": "program", "message": _("Unknown programme.")}])
        lifecycle.budget_added(
            actor=request.user,
            program=program,
            year=int(request.POST.get("year") or program.year),
            amount=parse_money(request.POST.get("amount", ""), "amount"),
            source=request.POST.get("source", ""),
            reason=request.POST.get("reason", ""),
        )
    except (DomainError, ValueError) as exc:
        detail = getattr(exc, "errors", None) or [{"message": str(exc)}]
        messages.error(request, "; ".join(e.get("message", "") for e in detail))
    else:
        messages.success(request, _("Budget allocated."))
    return redirect("finance-overview")


@login_required
def ledger(request):
    if denied := _guard(request):
        return denied
    filters, context = _filters(request)
    kind = request.GET.get("kind", "")
    qs = filters.entries(LedgerEntry.objects.all())
    if kind in LedgerEntry.Kind.values:
        qs = qs.filter(kind=kind)
    context.update(
        entries=qs.select_related("budget__program", "application", "batch", "actor").order_by(
            "-id"
        )[:500],
        kinds=LedgerEntry.Kind.choices,
        kind=kind,
    )
    return render(request, "finance/ledger.html", context)


@login_required
def batches(request):
    if denied := _guard(request):
        return denied
    filters, context = _filters(request)
    live = DisbursementItem.objects.filter(active=True).values("application_id")
    ready = (
        applications_visible_to(request.user)
        .filter(status__in=(Status.APPROVED, Status.AWARDED), ledger_entries__kind="commit")
        .exclude(pk__in=live)
        .select_related("program", "organization")
        .order_by("id")
    )
    context.update(
        batches=filters.batches(DisbursementBatch.objects.select_related("created_by")),
        ready=ready[:500],
        can_write=has_role(request.user, Role.FINANCE),
    )
    return render(request, "finance/batches.html", context)


@login_required
@require_POST
def batch_create(request):
    if denied := _guard(request, write=True):
        return denied
    try:
        ids = [int(v) for v in request.POST.getlist("awards")]
        batch = disbursements.disbursement_create(
            actor=request.user, application_ids=ids, note=request.POST.get("note", "")
        )
    except (DomainError, ValueError) as exc:
        errors = getattr(exc, "errors", [])
        messages.error(
            request, " ".join([str(exc)] + [e.get("message", "") for e in errors]).strip()
        )
        return redirect("finance-batches")
    messages.success(request, _("Batch %(number)s created.") % {"number": batch.number})
    return redirect("finance-batch", batch_id=batch.pk)


def _batch(batch_id: int) -> DisbursementBatch:
    batch = (
        DisbursementBatch.objects.select_related("created_by", "closed_by")
        .prefetch_related("items__application__organization", "ledger_entries")
        .filter(pk=batch_id)
        .first()
    )
    if batch is None:
        raise Http404(_("No such disbursement batch."))
    return batch


@login_required
def batch_detail(request, batch_id: int):
    if denied := _guard(request):
        return denied
    return render(
        request,
        "finance/batch_detail.html",
        {"batch": _batch(batch_id), "can_write": has_role(request.user, Role.FINANCE)},
    )


@login_required
def batch_file(request, batch_id: int, fmt: str):
    if denied := _guard(request):
        return denied
    batch = _batch(batch_id)
    if fmt == "csv":
        response = HttpResponse(payment_file_csv(batch), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(payment_file_xlsx(batch), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{batch.number}.{fmt}"'
    return response


@login_required
@require_POST
def batch_action(request, batch_id: int, action: str):
    if denied := _guard(request, write=True):
        return denied
    try:
        if action == "paid":
            disbursements.disbursement_mark_paid(
                actor=request.user, batch_id=batch_id, reference=request.POST.get("reference", "")
            )
            messages.success(request, _("Payment recorded."))
        else:
            disbursements.disbursement_cancel(
                actor=request.user, batch_id=batch_id, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("Batch cancelled; its awards can go into another batch."))
    except DomainError as exc:
        messages.error(
            request, " ".join([exc.detail] + [e.get("message", "") for e in exc.errors]).strip()
        )
    return redirect("finance-batch", batch_id=batch_id)


@login_required
def award_list(request):
    if denied := _guard(request):
        return denied
    filters, context = _filters(request)
    rows = []
    for app in awards(request.user, filters).select_related("program", "organization__district")[
        :500
    ]:
        rows.append({"app": app, **award_facts(app)})
    context.update(rows=rows)
    return render(request, "finance/awards.html", context)


@login_required
def award_detail(request, application_id: int):
    if denied := _guard(request):
        return denied
    app = applications_visible_to(request.user).filter(pk=application_id).first()
    if app is None:
        raise Http404(_("No such application, or it is not visible to you."))
    return render(
        request,
        "finance/award_detail.html",
        {
            "app": app,
            "data": application_dict(app),
            "checks": checks_view(app.program, application_dict(app)["checks"]),
            "facts": award_facts(app),
            "decisions": [h for h in history_view(app) if h["decision"]],
            "items": app.disbursement_items.select_related("batch").order_by("id"),
        },
    )


@login_required
def reconciliation(request):
    if denied := _guard(request):
        return denied
    return render(request, "finance/reconciliation.html", {"mismatches": reconciliation_report()})


@login_required
def export(request):
    if denied := _guard(request):
        return denied
    filters, _context = _filters(request)
    response = HttpResponse(audit_workbook(request.user, filters), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="fundflow-finance.xlsx"'
    return response
