"""The indicator dashboard (staff), its Excel export, and the public summary (no personal data)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _

from grants.errors import NotFound
from grants.models import Role
from grants.selectors import applications_for_statistics, applications_visible_to, has_role
from indicators.drill import drill_workbook, records_behind
from indicators.models import Indicator
from indicators.report import (
    available_years,
    district_breakdown,
    indicator_rows,
    program_breakdown,
    source_label,
    workbook,
)

STAFF_ROLES = (Role.REVIEWER, Role.EXPERT, Role.FINANCE, Role.AUDITOR, Role.ADMIN)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def is_staff(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (
        user.is_staff or has_role(user, *STAFF_ROLES)
    )


def _year(request) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


def _chart(rows) -> dict:
    """Data for the progress chart: actual as a percentage of the target, one bar per indicator."""
    shown = [r for r in rows if r["progress"] is not None]
    return {
        "labels": [f"{r['number']}. {r['display_name']}" for r in shown],
        "progress": [r["progress"] for r in shown],
        "label": _("Actual as a share of the target (%)"),
    }


def _breakdown_chart(rows) -> dict:
    return {
        "labels": [r["name"] for r in rows],
        "amount": [float(r["amount"]) for r in rows],
        "awards": [r["awards"] for r in rows],
        "label_amount": _("Amount awarded (yuan)"),
        "label_awards": _("Awards"),
    }


def _context(request, applications, year: int) -> dict:
    rows = indicator_rows(year)
    for r in rows:
        r["source_label"] = source_label(r["source"])
    districts = district_breakdown(applications, year)
    programs = program_breakdown(applications, year)
    return {
        "year": year,
        "years": available_years(),
        "rows": rows,
        "districts": districts,
        "programs": programs,
        "chart": _chart(rows),
        "district_chart": _breakdown_chart(districts),
    }


@login_required
def dashboard(request):
    if not is_staff(request.user):
        return render(
            request,
            "workflows/forbidden.html",
            {"message": _("The indicator dashboard is for staff; see the public summary.")},
            status=403,
        )
    year = _year(request)
    applications = applications_visible_to(request.user).filter(submitted_at__isnull=False)
    return render(request, "indicators/dashboard.html", _context(request, applications, year))


@login_required
def dashboard_export(request):
    if not is_staff(request.user):
        return render(
            request,
            "workflows/forbidden.html",
            {"message": _("The indicator dashboard is for staff; see the public summary.")},
            status=403,
        )
    year = _year(request)
    applications = applications_visible_to(request.user).filter(submitted_at__isnull=False)
    ctx = _context(request, applications, year)
    response = HttpResponse(
        workbook(year, ctx["rows"], ctx["districts"], ctx["programs"]), content_type=XLSX
    )
    response["Content-Disposition"] = f'attachment; filename="fundflow-indicators-{year}.xlsx"'
    return response


def public_summary(request):
    """Anyone, no login: indicators and totals per district and programme; no names, no codes."""
    year = _year(request)
    context = _context(request, applications_for_statistics(), year)
    context["public"] = True
    return render(request, "indicators/public.html", context)


def _forbidden(request):
    return render(
        request,
        "workflows/forbidden.html",
        {"message": _("The indicator dashboard is for staff; see the public summary.")},
        status=403,
    )


def _drill(request, number: int):
    indicator = get_object_or_404(Indicator, number=number)
    try:
        data = records_behind(
            indicator,
            _year(request),
            request.GET.get("scope", ""),
            request.GET.get("measure", ""),
            request.user,
        )
    except NotFound:
        return None
    for line in data["lines"]:
        line["absolute_url"] = request.build_absolute_uri(line["url"]) if line.get("url") else ""
    return data


@login_required
def indicator_records(request, number: int):
    """The records behind one computed figure, as the staff member may see them."""
    if not is_staff(request.user):
        return _forbidden(request)
    data = _drill(request, number)
    if data is None:
        return render(
            request,
            "workflows/forbidden.html",
            {
                "message": _(
                    "This figure is entered by the administrator: no records lie behind it."
                )
            },
            status=404,
        )
    return render(request, "indicators/records.html", data)


@login_required
def indicator_records_export(request, number: int):
    if not is_staff(request.user):
        return _forbidden(request)
    data = _drill(request, number)
    if data is None:
        return render(
            request,
            "workflows/forbidden.html",
            {
                "message": _(
                    "This figure is entered by the administrator: no records lie behind it."
                )
            },
            status=404,
        )
    response = HttpResponse(drill_workbook(data), content_type=XLSX)
    response["Content-Disposition"] = (
        f'attachment; filename="fundflow-indicator-{number}-{data["year"]}-{data["scope"]}.xlsx"'
    )
    return response
