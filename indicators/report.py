"""The dashboard's figures: the plan's indicators for a year, and breakdowns per district and programme.

Reads only: applications through ``grants.selectors``; aggregates, never rows,
so the same functions feed the public summary (no organisation names or codes).
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from grants.exports import append_row
from grants.models import Jurisdiction, Level, Program
from indicators.models import Indicator, IndicatorActual
from indicators.registry import AWARDED_STATUSES, REGISTRY, computed_value

HUNDRED = Decimal(100)


def _target_year(indicator: Indicator, year: int) -> int | None:
    years = sorted(int(y) for y in (indicator.targets or {}))
    if not years:
        return None
    if year in years:
        return year
    return years[-1] if year > years[-1] else years[0]


def indicator_rows(year: int) -> list[dict[str, Any]]:
    entered = {
        a.indicator_id: a
        for a in IndicatorActual.objects.filter(year=year).select_related("entered_by")
    }
    rows = []
    for ind in Indicator.objects.all():
        target_year = _target_year(ind, year)
        target = ind.target_for(target_year) if target_year else None
        source_def = REGISTRY.get(ind.code)
        actual = computed_value(ind.code, year)
        if actual is not None and source_def is not None:  # a figure comes from a source
            source, note = source_def.kind, source_def.description
        elif ind.pk in entered:
            actual = entered[ind.pk].value
            source, note = "entered", entered[ind.pk].source_note
        else:
            source = "none"
            note = _("no data source yet")
        met = None
        progress = None
        if actual is not None and target is not None:
            met = actual >= target
            if target > 0:
                progress = float((actual / target * HUNDRED).quantize(Decimal("0.1")))
            else:
                progress = 100.0 if met else 0.0
        rows.append(
            {
                "indicator": ind,
                "number": ind.number,
                "code": ind.code,
                "name": ind.display_name,
                "unit": ind.display_unit,
                "kind": ind.kind,
                "targets": [
                    (int(y), ind.target_for(int(y))) for y in sorted(ind.targets or {}, key=int)
                ],
                "target": target,
                "target_year": target_year,
                "target_is_other_year": target_year is not None and target_year != year,
                "actual": actual,
                "source": source,
                "source_note": note,
                "met": met,
                "progress": progress,
            }
        )
    return rows


def _breakdown(qs: QuerySet, keys: list[str]) -> list[dict[str, Any]]:
    awarded = Q(status__in=AWARDED_STATUSES)
    return list(
        qs.order_by()
        .values(*keys)
        .annotate(
            applications=Count("id"),
            awards=Count("id", filter=awarded),
            amount=Sum("award_amount", filter=awarded),
        )
        .order_by(*keys)
    )


def district_breakdown(qs: QuerySet, year: int) -> list[dict[str, Any]]:
    data = {
        r["organization__district_id"]: r
        for r in _breakdown(qs.filter(program__year=year), ["organization__district_id"])
    }
    rows = []
    for d in Jurisdiction.objects.filter(level=Level.DISTRICT):
        r = data.get(d.code, {})
        rows.append(
            {
                "key": d.code,
                "name": d.display_name,
                "applications": r.get("applications", 0),
                "awards": r.get("awards", 0),
                "amount": r.get("amount") or Decimal("0.00"),
            }
        )
    return rows


def program_breakdown(qs: QuerySet, year: int) -> list[dict[str, Any]]:
    data = {r["program_id"]: r for r in _breakdown(qs.filter(program__year=year), ["program_id"])}
    rows = []
    for p in Program.objects.filter(year=year).order_by("code"):
        r = data.get(p.pk, {})
        rows.append(
            {
                "key": p.code,
                "name": p.display_name,
                "applications": r.get("applications", 0),
                "awards": r.get("awards", 0),
                "amount": r.get("amount") or Decimal("0.00"),
            }
        )
    return rows


def available_years() -> list[int]:
    from django.utils import timezone

    years = {2021, 2022, 2023, timezone.localdate().year}
    years |= set(Program.objects.values_list("year", flat=True))
    years |= set(IndicatorActual.objects.values_list("year", flat=True))
    return sorted(years, reverse=True)


def source_label(source: str) -> str:
    return {
        "computed": _("Computed"),
        "external": _("Computed"),
        "entered": _("Entered by the administrator"),
        "none": _("No data source yet"),
    }[source]


def workbook(year: int, rows, districts, programs) -> bytes:
    """The dashboard as an Excel workbook: indicators, then per district and per programme."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.worksheets[0]  # the active sheet of a new workbook
    ws.title = _("Indicators")[:31]
    plan_years = sorted({y for r in rows for y, _v in r["targets"]})
    head = (
        [_("No."), _("Indicator"), _("Unit")]
        + [_("Target %(year)s") % {"year": y} for y in plan_years]
        + [_("Actual %(year)s") % {"year": year}, _("Source"), _("Note"), _("Target met")]
    )
    append_row(ws, head)
    for r in rows:
        targets = dict(r["targets"])
        append_row(
            ws,
            [r["number"], r["name"], r["unit"]]
            + [None if targets.get(y) is None else float(targets[y]) for y in plan_years]
            + [
                None if r["actual"] is None else float(r["actual"]),
                source_label(r["source"]),
                str(r["source_note"]),
                "" if r["met"] is None else (_("Yes") if r["met"] else _("No")),
            ],
        )
    for title, data in ((_("Per district"), districts), (_("Per programme"), programs)):
        sheet = wb.create_sheet(title[:31])
        append_row(sheet, [_("Name"), _("Applications"), _("Awards"), _("Amount awarded (yuan)")])
        for d in data:
            append_row(sheet, [d["name"], d["applications"], d["awards"], d["amount"]])
        for cell in sheet["D"][1:]:
            cell.number_format = "#,##0.00"
    for sheet in wb.worksheets:
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.column_dimensions["B"].width = 40
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
