"""``GET /api/v1/indicators?year=YYYY`` (staff): the plan's twelve indicators for a year, as the
dashboard shows them (``indicators.report.indicator_rows``: one function feeds both)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema

from config.apikit import ERRORS, Page
from grants.errors import Forbidden, InvalidInput
from indicators.report import indicator_rows, source_label
from indicators.views import is_staff

router = Router(tags=["indicators"])


class TargetOut(Schema):
    text: str  # the appendix's words ("300家"; "" where the plan sets none)
    value: str | None  # the figure, a decimal string; null where the plan sets none
    scope: str  # "in_year" (that year's own figure) | "cumulative" (running total since 2021)


class MeasureOut(Schema):
    """One measure of an indicator (#4 has two: the amount of loans, money with two places,
    and their number); a growth row's measure adds its base-year figure and its rates."""

    key: str
    label: str
    unit: str
    in_year: str | None
    cumulative: str | None
    computed: bool
    base_year: int | None = None
    base: str | None = None
    growth_in_year: str | None = None
    growth_average: str | None = None


class SourceOut(Schema):
    type: str  # "computed" | "entered" | "none"
    label: str
    note: str
    how_in_year: str
    how_cumulative: str


class HeldToOut(Schema):
    year: int | None
    value: str | None
    scope: str | None
    met: bool | None
    note: str


class PlanIndicatorOut(Schema):
    number: int
    code: str
    name: str
    name_en: str
    unit: str
    requirement: str
    target: str  # 目标值, as the appendix says it
    kind: str  # "count" | "growth" (年均增幅, percentages)
    targets: dict[str, TargetOut]
    in_year: str | None
    cumulative: str | None
    computed: bool
    source: SourceOut
    held_to: HeldToOut
    measures: list[MeasureOut]
    version: int


class IndicatorsOut(Page):
    year: int
    results: list[PlanIndicatorOut]


def _s(value: Decimal | None) -> str | None:
    if value is None:
        return None
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:.2f}"


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _rate(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.1f}"


def _row(r: dict[str, Any]) -> dict[str, Any]:
    def rate_or_figure(value: Decimal | None) -> str | None:
        return _rate(value) if r["kind"] == "growth" else _s(value)

    return {
        "number": r["number"],
        "code": r["code"],
        "name": r["name"],
        "name_en": r["name_en"],
        "unit": r["unit"],
        "requirement": r["requirement"],
        "target": r["target_text"],
        "kind": r["kind"],
        "targets": {
            str(t["year"]): {
                "text": t["text"],
                "value": None if t["value"] is None else _s(t["value"]),
                "scope": t["scope"],
            }
            for t in r["targets"]
        },
        "in_year": rate_or_figure(r["in_year"]),
        "cumulative": rate_or_figure(r["cumulative"]),
        "computed": r["computed"],
        "source": {
            "type": r["source"],
            "label": source_label(r["source"]),
            "note": str(r["source_note"]),
            "how_in_year": str(r["how_in_year"]),
            "how_cumulative": str(r["how_cumulative"]),
        },
        "held_to": {
            "year": r["target_year"],
            "value": None if r["target"] is None else _s(r["target"]),
            "scope": r["target_scope"],
            "met": r["met"],
            "note": str(r["target_note"]),
        },
        "measures": [
            {
                "key": m.key,
                "label": m.label,
                "unit": m.unit,
                "in_year": _money(m.in_year) if m.money else _s(m.in_year),
                "cumulative": _money(m.cumulative) if m.money else _s(m.cumulative),
                "computed": m.computed,
                "base_year": m.base_year,
                "base": _money(m.base) if m.money else _s(m.base),
                "growth_in_year": _rate(m.growth_in_year),
                "growth_average": _rate(m.growth_average),
            }
            for m in r["measures"]
        ],
        "version": r["version"],
    }


@router.get(
    "/indicators",
    response={200: IndicatorsOut, **ERRORS},
    summary="The plan's twelve indicators for a year: targets, in-year and cumulative figures",
)
def indicators(request, year: int | None = None):
    """Staff: each indicator of the plan's appendix with its words (name, unit, 要求, 目标值),
    each year's target with its scope, the in-year and the cumulative figure, whether it is
    computed from this system's records, and how (the same rows as the dashboard)."""
    if not is_staff(request.user):
        raise Forbidden(_("The indicators are for staff."))
    year = timezone.localdate().year if year is None else year
    if not 2000 <= year <= 2100:
        raise InvalidInput([{"field": "year", "message": _("A year from 2000 to 2100.")}])
    results = [_row(r) for r in indicator_rows(year)]
    return {"year": year, "count": len(results), "next": None, "previous": None, "results": results}
