"""Web pages of the registry and vouchers. Reads go through the same selectors as the API;
changes only through ``agencies.services``."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agencies import services
from agencies.indicators import smes_in_custody
from agencies.models import Agency, VoucherStatus
from grants.errors import DomainError
from grants.models import Program, ProgramKind, Role
from grants.selectors import has_role, is_member, vouchers_visible_to


def _error_text(exc: DomainError) -> str:
    details = "; ".join(f"{e['field']}: {e['message']}" for e in exc.errors)
    return f"{exc.detail} {details}".strip()


@login_required
def agency_list(request):
    agencies = Agency.objects.select_related("organization__district").prefetch_related(
        "qualifications"
    )
    return render(
        request,
        "agencies/agency_list.html",
        {"agencies": agencies, "is_admin": has_role(request.user, Role.ADMIN)},
    )


@login_required
def agency_detail(request, pk: int):
    agency = (
        Agency.objects.select_related("organization__district")
        .prefetch_related("qualifications", "status_changes", "penalties")
        .filter(pk=pk)
        .first()
    )
    if agency is None:
        raise Http404
    return render(
        request,
        "agencies/agency_detail.html",
        {
            "agency": agency,
            "is_admin": has_role(request.user, Role.ADMIN),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def agency_penalty(request, pk: int):
    agency = Agency.objects.filter(pk=pk).first()
    if agency is None:
        raise Http404
    try:
        services.penalty_record(
            actor=request.user,
            agency=agency,
            decided_on=dt.date.fromisoformat(request.POST.get("decided_on", "")),
            authority=request.POST.get("authority", ""),
            document_number=request.POST.get("document_number", ""),
            reason=request.POST.get("reason", ""),
        )
        messages.success(request, _("The penalty was recorded and the agency exited the cluster."))
    except ValueError:
        messages.error(request, _("A date such as 2026-03-31 expected."))
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    return redirect("agency-detail", pk=pk)


@login_required
def voucher_list(request):
    qs = vouchers_visible_to(request.user).order_by("number")
    status = request.GET.get("status", "")
    if status in VoucherStatus.values:
        qs = qs.filter(status=status)
    year = timezone.localdate().year
    return render(
        request,
        "agencies/voucher_list.html",
        {
            "vouchers": qs[:200],
            "count": qs.count(),
            "statuses": VoucherStatus.choices,
            "status": status,
            "is_admin": has_role(request.user, Role.ADMIN),
            "programs": Program.objects.filter(kind=ProgramKind.VOUCHER, is_active=True),
            "custody": smes_in_custody(year),
            "year": year,
            "report": request.session.pop("voucher_bulk_report", None),
        },
    )


@login_required
@require_POST
def voucher_bulk(request):
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose an Excel file."))
        return redirect("voucher-list")
    try:
        report = services.vouchers_issue_from_sheet(
            actor=request.user, program_code=request.POST.get("program", ""), upload=upload
        )
        request.session["voucher_bulk_report"] = {
            "rows": report.rows,
            "issued": len(report.issued),
            "rejected": report.rejected,
        }
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    return redirect("voucher-list")


@login_required
def voucher_detail(request, pk: int):
    from agencies.qr import voucher_qr_svg

    voucher = vouchers_visible_to(request.user).filter(pk=pk).first()
    if voucher is None:
        raise Http404
    holder = has_role(request.user, Role.ADMIN) or is_member(request.user, voucher.sme_id)
    return render(
        request,
        "agencies/voucher_detail.html",
        {
            "voucher": voucher,
            "redemption": getattr(voucher, "redemption", None)
            if hasattr(voucher, "redemption")
            else None,
            "holder": holder,
            # segno's SVG: generated from our own URL, no user text inside
            "qr": mark_safe(voucher_qr_svg(voucher)) if holder else "",  # noqa: S308
        },
    )


def voucher_verify(request, code: str):
    """Public: what a QR code points at."""
    try:
        voucher = services.voucher_for_code(code)
    except DomainError:
        voucher = None
    return render(
        request,
        "agencies/voucher_verify.html",
        {
            "voucher": voucher,
            "valid": voucher is not None
            and voucher.status == VoucherStatus.ISSUED
            and voucher.valid_until >= timezone.localdate(),
        },
        status=200 if voucher else 404,
    )
