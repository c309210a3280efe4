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
from grants.models import Jurisdiction, Level, Program, Status
from indicators.models import CUMULATIVE, Indicator, IndicatorActual
from indicators.sources import base_year, figures, record_set, target_for_year

AWARDED_STATUSES = (Status.APPROVED, Status.AWARDED, Status.PAID)

HUNDRED = Decimal(100)


def _progress(actual: Decimal | None, target: Decimal | None) -> tuple[bool | None, float | None]:
    if actual is None or target is None:
        return None, None
    met = actual >= target
    if target > 0:
        return met, float((actual / target * HUNDRED).quantize(Decimal("0.1")))
    return met, 100.0 if met else 0.0


def indicator_row(ind: Indicator, year: int) -> dict[str, Any]:
    """One indicator for ``year``: the appendix's words, its targets with their scope, the
    in-year and cumulative figures with how each was obtained, and the target it is held to."""
    figs = figures(ind, year)
    target_year, target = target_for_year(ind, year)
    scope = target.get("scope")
    actual = figs.cumulative if scope == CUMULATIVE else figs.in_year
    met, progress = _progress(actual, target.get("value"))
    if target_year is not None and target_year != year:
        target_note = _(
            "The plan sets no target for %(year)s: held against the %(last)s target, the plan's last."
        ) % {"year": year, "last": target_year}
    elif target_year is None:
        target_note = _("The plan sets no target for %(year)s.") % {"year": year}
    else:
        target_note = ""
    rs = record_set(ind)
    if figs.computed:
        source = "computed"
    elif any(m.in_year is not None or m.cumulative is not None for m in figs.measures):
        source = "entered"
    else:
        source = "none"
    return {
        "indicator": ind,
        "number": ind.number,
        "code": ind.code,
        "name": ind.name,
        "name_en": ind.name_en,
        "display_name": ind.display_name,
        "unit": ind.unit,
        "display_unit": ind.display_unit,
        "requirement": ind.requirement,
        "target_text": ind.target_text,
        "kind": ind.kind,
        "version": ind.version,
        "targets": [
            {"year": y, **ind.target(y), "scope_label": scope_label(ind.target(y)["scope"], ind)}
            for y in ind.target_years
        ],
        "target": target.get("value"),
        "target_text_for_year": target.get("text", ""),
        "target_scope": scope,
        "target_year": target_year,
        "target_is_other_year": target_year is not None and target_year != year,
        "target_note": target_note,
        "in_year": figs.in_year,
        "cumulative": figs.cumulative,
        "actual": actual,
        "computed": figs.computed,
        "drillable": rs is not None and figs.computed,
        "measures": figs.measures,
        "how_in_year": figs.how_in_year,
        "how_cumulative": figs.how_cumulative,
        "source": source,
        "source_note": figs.source_note,
        "met": met,
        "progress": progress,
    }


def indicator_rows(year: int) -> list[dict[str, Any]]:
    return [indicator_row(ind, year) for ind in Indicator.objects.all()]


def scope_label(scope: str | None, ind: Indicator | None = None) -> str:
    base = base_year(ind) if ind is not None else None
    if base is not None:  # a rate: over the year before, or a year on average since the base
        return (
            _("a year on average since %(year)s") % {"year": base}
            if scope == CUMULATIVE
            else _("over the year before")
        )
    return _("running total since 2021") if scope == CUMULATIVE else _("that year alone")


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
        "computed": _("Computed from the records in this system"),
        "entered": _("Entered by the administrator"),
        "none": _("No data source yet"),
    }[source]


def row_figure_text(row: dict[str, Any], value: Decimal | None) -> str:
    if value is None:
        return "—"
    text = f"{value:.1f}" if row["kind"] == "growth" else f"{value.normalize():f}"
    return text + ("%" if row["kind"] == "growth" else "")


def workbook(year: int, rows, districts, programs) -> bytes:
    """The dashboard as an Excel workbook: indicators, then per district and per programme."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.worksheets[0]  # the active sheet of a new workbook
    ws.title = _("Indicators")[:31]
    plan_years = sorted({t["year"] for r in rows for t in r["targets"]})
    head = (
        [_("No."), _("Indicator"), _("Unit"), _("Requirement"), _("Target (plan)")]
        + [_("Target %(year)s") % {"year": y} for y in plan_years]
        + [
            _("In %(year)s") % {"year": year},
            _("Cumulative to %(year)s") % {"year": year},
            _("Target held to"),
            _("Target met"),
            _("Source"),
            _("How the figure in the year was obtained"),
            _("How the cumulative figure was obtained"),
        ]
    )
    append_row(ws, head)
    for r in rows:
        targets = {t["year"]: t for t in r["targets"]}
        append_row(
            ws,
            [r["number"], r["name"], r["unit"], r["requirement"], r["target_text"]]
            + [
                (
                    f"{targets[y]['text'] or '–'}（{targets[y]['scope_label']}）"
                    if y in targets
                    else ""
                )
                for y in plan_years
            ]
            + [
                row_figure_text(r, r["in_year"]),
                row_figure_text(r, r["cumulative"]),
                r["target_note"] or str(r["target_text_for_year"] or "–"),
                "" if r["met"] is None else (_("Yes") if r["met"] else _("No")),
                source_label(r["source"]),
                r["how_in_year"],
                r["how_cumulative"],
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
