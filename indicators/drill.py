"""The records behind a computed figure: what the figure counts, scoped to who is looking.

``records_behind`` lists, for one indicator, measure, year and scope (in the year, or
cumulative), the lines the figure is made of: one line per record for a count or a sum,
one line per organisation (with its records) for a count of distinct organisations. For a
user who sees every record the list's count (or total, for a sum) is the figure.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from grants.errors import NotFound
from grants.exports import append_row
from indicators.models import CUMULATIVE, IN_YEAR, Indicator
from indicators.sources import (
    aggregate,
    field_amount,
    figure_text,
    is_money,
    measures,
    plan_start,
    record_set,
)


def records_behind(
    indicator: Indicator, year: int, scope: str, measure_key: str, user: Any
) -> dict[str, Any]:
    rs = record_set(indicator)
    if rs is None:
        raise NotFound(_("This figure is not computed from records in this system."))
    found = measures(indicator)
    m = next((x for x in found if x["key"] == measure_key), found[0])
    scope = CUMULATIVE if scope == CUMULATIVE else IN_YEAR
    first = year if scope == IN_YEAR else min(plan_start(indicator), year)
    qs = rs.records(first, year)
    figure = aggregate(qs, rs, m)
    lines: list[dict[str, Any]] = []
    for record in rs.scope(qs, user).order_by("pk"):
        line = rs.present(record)
        if m["aggregate"] == "sum":
            line["amount"] = field_amount(record, str(m.get("field") or ""))
            line["amount_text"] = figure_text(line["amount"], money=True)
        lines.append(line)
    if m["aggregate"] == "count_distinct":
        grouped: dict[Any, dict[str, Any]] = {}
        for line in lines:
            unit = grouped.setdefault(line["unit_key"], {**line, "records": [], "more": []})
            unit["records"].append(line)
        lines = list(grouped.values())
        for unit in lines:
            unit["record"] = "、".join(r["record"] for r in unit["records"])
    listed = (
        sum((line["amount"] for line in lines), Decimal("0.00"))
        if m["aggregate"] == "sum"
        else Decimal(len(lines))
    )
    return {
        "indicator": indicator,
        "measure": m,
        "measure_label": str(m.get("label") or indicator.name),
        "aggregate": m["aggregate"],
        "year": year,
        "first": first,
        "scope": scope,
        "description": rs.description,
        "noun": rs.noun,
        "figure": figure,
        "listed": listed,
        "figure_text": figure_text(figure, is_money(m)),
        "listed_text": figure_text(listed, is_money(m)),
        "complete": listed == figure,
        "lines": lines,
    }


def drill_workbook(data: dict[str, Any]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.worksheets[0]
    ws.title = _("Records")[:31]
    ind = data["indicator"]
    append_row(ws, [f"{ind.number}. {ind.name}", data["measure_label"]])
    append_row(
        ws,
        [
            _("%(first)s–%(last)s") % {"first": data["first"], "last": data["year"]}
            if data["scope"] == CUMULATIVE
            else str(data["year"]),
            str(data["description"]),
        ],
    )
    head = [
        _("Record"),
        _("Organisation"),
        _("Programme or service"),
        _("Year or date"),
        _("Status"),
    ]
    if data["aggregate"] == "sum":
        head.append(_("Amount (yuan)"))
    head.append(_("Link"))
    append_row(ws, head)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for line in data["lines"]:
        row = [
            line["record"],
            line["organization"],
            line["programme"],
            line["date"],
            line["status"],
        ]
        if data["aggregate"] == "sum":
            row.append(line["amount"])
        row.append(line.get("absolute_url", ""))
        append_row(ws, [v if isinstance(v, (int, Decimal)) else str(v) for v in row])
    append_row(ws, [_("Figure"), data["figure"], _("Listed"), data["listed"]])
    ws.column_dimensions["B"].width = 40
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
