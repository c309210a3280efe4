"""An indicator's figures for a year, from its ``source``, with how each was obtained in words.

Three kinds of source (``Indicator.source["type"]``):

- ``applications``: applications of the programmes chosen by code (a code also matches its
  yearly clones ``code-YYYY``), by kind, or by the plan indicator they say they feed
  (``Program.indicators``, where the programme definitions hold it), in the given statuses;
  an application belongs to its programme's year;
- ``records``: a record set another app registered (``indicators.registry``);
- ``entered``: the figures the administrator entered per year (``IndicatorActual``).

Each measure (``source["measures"]``: count, count of distinct organisations, or sum of a
field) gives an in-year figure (the year alone) and a cumulative one (from the plan's first
year to the end of the year: a superset of the year before, so it never falls). A growth row
(``source["growth"]["base_year"]``) turns each measure's figures into growth rates: in the
year over the year before, and the average annual growth (年均增幅) since the base year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from grants.models import Application, Program, Status, localized
from grants.selectors import applications_visible_to
from indicators.models import CUMULATIVE, IN_YEAR, Indicator, IndicatorActual
from indicators.registry import RECORDS, RecordSet

HUNDRED = Decimal(100)
AGGREGATES = ("count", "count_distinct", "sum")
FEEDS_FIELD: str = "indicators"  # Program.indicators, where the programme definitions add it


def plan_start(indicator: Indicator) -> int:
    years = indicator.target_years
    return years[0] if years else 2021


def measures(indicator: Indicator) -> list[dict[str, Any]]:
    found = (indicator.source or {}).get("measures")
    items = [m for m in found if isinstance(m, dict)] if isinstance(found, list) else []
    if not items:
        items = [{"key": "value", "label": indicator.name, "unit": indicator.unit}]
    for i, m in enumerate(items):
        m.setdefault("key", f"m{i + 1}")
        if m.get("aggregate") not in AGGREGATES:
            m["aggregate"] = "count"
    return items


def measure_label(m: dict[str, Any]) -> str:
    return localized(str(m.get("label") or ""), str(m.get("label_en") or ""))


def source_type(indicator: Indicator) -> str:
    kind = (indicator.source or {}).get("type")
    return kind if kind in ("applications", "records", "entered") else "entered"


def base_year(indicator: Indicator) -> int | None:
    growth = (indicator.source or {}).get("growth")
    if indicator.kind != Indicator.Kind.GROWTH or not isinstance(growth, dict):
        return None
    try:
        return int(growth["base_year"])
    except (KeyError, TypeError, ValueError):
        return None


# --- applications of programmes, as a record set ------------------------------------------


def _program_condition(spec: dict[str, Any]) -> Q | None:
    found = spec.get("programs")
    programs: dict[str, Any] = found if isinstance(found, dict) else {}
    condition = Q(pk__in=[])
    chosen = False
    for code in programs.get("codes") or []:
        code = str(code)
        condition |= Q(code=code) | Q(code__regex=rf"^{re.escape(code)}-[0-9]{{4}}$")
        chosen = True
    kinds = [str(k) for k in programs.get("kinds") or []]
    if kinds:
        condition |= Q(kind__in=kinds)
        chosen = True
    feeds = programs.get("feeds")
    if feeds is not None and any(f.name == FEEDS_FIELD for f in Program._meta.get_fields()):
        ids = [
            pk
            # a field the programme definitions add (``Program.indicators``); read by name
            for pk, links in Program.objects.values_list("pk", FEEDS_FIELD)
            if isinstance(links, list)
            and any(isinstance(link, dict) and link.get("number") == feeds for link in links)
        ]
        condition |= Q(pk__in=ids)
        chosen = True
    return condition if chosen else None


def _statuses(spec: dict[str, Any]) -> list[str]:
    found = [str(s) for s in spec.get("statuses") or [] if s in Status.values]
    return found or [Status.APPROVED, Status.AWARDED, Status.PAID]


def _present_application(app: Application) -> dict[str, Any]:
    return {
        "record": app.number,
        "unit_key": app.organization_id,
        "organization": app.organization.name,
        "programme": app.program.display_name,
        "date": str(app.program.year),
        "status": str(Status(app.status).label),
        "fields": app.fields or {},
        "url": reverse("application-detail", args=[app.pk]),
    }


def _application_set(indicator: Indicator) -> RecordSet | None:
    spec = indicator.source or {}
    condition = _program_condition(spec)
    if condition is None:
        return None
    statuses = _statuses(spec)
    program_ids = Program.objects.filter(condition).values("pk")
    names = sorted({p.display_name for p in Program.objects.filter(condition)})
    status_words = "、".join(str(Status(s).label) for s in statuses)
    description = _(
        "applications %(statuses)s in the programmes %(programmes)s, counted in their "
        "programme's year"
    ) % {
        "statuses": status_words,
        "programmes": "、".join(f"“{n}”" for n in names) or _("(none yet)"),
    }

    def records(first: int, last: int) -> QuerySet:
        return Application.objects.filter(
            program_id__in=program_ids,
            status__in=statuses,
            program__year__gte=first,
            program__year__lte=last,
        ).select_related("program", "organization")

    def scope(qs: QuerySet, user: Any) -> QuerySet:
        return qs.filter(pk__in=applications_visible_to(user).values("pk"))

    return RecordSet(
        name=f"applications:{indicator.code}",
        records=records,
        distinct="organization_id",
        present=_present_application,
        scope=scope,
        description=description,
        noun=_("applications"),
    )


def record_set(indicator: Indicator) -> RecordSet | None:
    """The records behind a computed indicator, or None (entered, or no app registered them)."""
    kind = source_type(indicator)
    if kind == "applications":
        return _application_set(indicator)
    if kind == "records":
        return RECORDS.get(str((indicator.source or {}).get("records")))
    return None


def field_amount(record: Any, name: str) -> Decimal:
    fields = getattr(record, "fields", None) or {}
    try:
        return Decimal(str(fields.get(name)))
    except (InvalidOperation, TypeError, ValueError):
        return Decimal(0)


def aggregate(qs: QuerySet, rs: RecordSet, m: dict[str, Any]) -> Decimal:
    if m["aggregate"] == "count_distinct":
        return Decimal(qs.order_by().values(rs.distinct).distinct().count())
    if m["aggregate"] == "sum":
        name = str(m.get("field") or "")
        return sum((field_amount(r, name) for r in qs), Decimal("0.00"))
    return Decimal(qs.count())


# --- figures -------------------------------------------------------------------------------


@dataclass
class Measure:
    key: str
    label: str
    unit: str
    in_year: Decimal | None = None
    cumulative: Decimal | None = None
    how_in_year: str = ""
    how_cumulative: str = ""
    computed: bool = False
    # growth rows: the figures the rates come from
    base_year: int | None = None
    base: Decimal | None = None
    previous: Decimal | None = None
    growth_in_year: Decimal | None = None
    growth_average: Decimal | None = None
    how_growth: str = ""
    money: bool = False

    @property
    def in_year_text(self) -> str:
        return figure_text(self.in_year, self.money)

    @property
    def cumulative_text(self) -> str:
        return figure_text(self.cumulative, self.money)


@dataclass
class Figures:
    in_year: Decimal | None
    cumulative: Decimal | None
    computed: bool
    measures: list[Measure] = field(default_factory=list)
    how_in_year: str = ""
    how_cumulative: str = ""
    source_note: str = ""


def _entered(indicator: Indicator) -> dict[tuple[int, str], IndicatorActual]:
    return {(a.year, a.measure): a for a in IndicatorActual.objects.filter(indicator=indicator)}


def _entered_value(
    entered: dict[tuple[int, str], IndicatorActual], year: int, key: str, first: bool
) -> IndicatorActual | None:
    return entered.get((year, key)) or (entered.get((year, "")) if first else None)


def figure_text(value: Decimal | None, money: bool = False) -> str:
    """A figure as a person reads it: money as ¥1,500,000.00, a count as 12, none as —."""
    if value is None:
        return "—"
    if money:
        return f"¥{value:,.2f}"
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:.2f}"


def is_money(m: dict[str, Any]) -> bool:
    return m.get("unit") == "元"


def _in_year_figure(
    indicator: Indicator,
    rs: RecordSet | None,
    m: dict[str, Any],
    year: int,
    entered: dict[tuple[int, str], IndicatorActual],
    first: bool,
) -> tuple[Decimal | None, str, bool]:
    """One measure's own figure for ``year``: computed from the records, or entered. Years
    before the plan (a growth row's base year) take an entered figure where there is one."""
    own = _entered_value(entered, year, m["key"], first)
    if rs is not None and year < plan_start(indicator) and own is None:
        return (
            None,
            _("%(year)s: no figure entered (this system holds no records before the plan)")
            % {"year": year},
            False,
        )
    if rs is not None and year >= plan_start(indicator):
        value = aggregate(rs.records(year, year), rs, m)
        return value, _("%(year)s: %(what)s") % {"year": year, "what": rs.description}, True
    if own is not None:
        return (
            own.value,
            _("%(year)s: entered by the administrator (source: %(note)s)")
            % {"year": year, "note": own.source_note},
            False,
        )
    return None, _("%(year)s: no figure entered") % {"year": year}, False


def _growth(new: Decimal | None, old: Decimal | None, years: int) -> Decimal | None:
    if new is None or old is None or old <= 0 or years <= 0:
        return None
    ratio = new / old
    rate = ratio ** (Decimal(1) / Decimal(years)) - 1 if years > 1 else ratio - 1
    return (rate * HUNDRED).quantize(Decimal("0.1"))


def figures(indicator: Indicator, year: int) -> Figures:
    """The indicator's in-year and cumulative figures for ``year``, measure by measure."""
    rs = record_set(indicator)
    kind = source_type(indicator)
    entered = _entered(indicator)
    start = plan_start(indicator)
    result: list[Measure] = []
    for i, m in enumerate(measures(indicator)):
        first = i == 0
        unit = localized(str(m.get("unit") or indicator.unit), str(m.get("unit_en") or ""))
        measure = Measure(key=m["key"], label=measure_label(m), unit=unit, money=is_money(m))
        money = measure.money
        value, how, computed = _in_year_figure(indicator, rs, m, year, entered, first)
        measure.in_year, measure.how_in_year, measure.computed = value, how, computed
        lo = min(start, year)
        if rs is not None:
            measure.cumulative = aggregate(rs.records(lo, year), rs, m)
            what = (
                _("distinct organisations among %(what)s")
                if m["aggregate"] == "count_distinct"
                else (
                    _("the sum of %(label)s over %(what)s")
                    if m["aggregate"] == "sum"
                    else _("the number of %(what)s")
                )
            )
            measure.how_in_year = _("%(year)s: %(how)s") % {
                "year": year,
                "how": what % {"what": rs.description, "label": measure.label},
            }
            measure.how_cumulative = _("%(first)s–%(last)s: %(how)s") % {
                "first": lo,
                "last": year,
                "how": what % {"what": rs.description, "label": measure.label},
            }
            if kind == "records" or kind == "applications":
                measure.computed = True
        else:
            values = [
                a.value
                for y in range(lo, year + 1)
                if (a := _entered_value(entered, y, m["key"], first)) is not None
            ]
            measure.cumulative = sum(values, Decimal(0)) if values else None
            measure.how_cumulative = _(
                "%(first)s–%(last)s: the sum of the yearly figures the administrator entered"
            ) % {"first": lo, "last": year}
        base = base_year(indicator)
        if base is not None:
            measure.base_year = base
            measure.base, _h, _c = _in_year_figure(indicator, rs, m, base, entered, first)
            measure.previous, _h, _c = _in_year_figure(indicator, rs, m, year - 1, entered, first)
            measure.growth_in_year = _growth(measure.in_year, measure.previous, 1)
            measure.growth_average = _growth(measure.in_year, measure.base, year - base)
            measure.how_growth = _(
                "%(label)s (%(unit)s): %(value)s in %(year)s, %(previous)s in %(prev_year)s, "
                "%(base)s in the base year %(base_year)s; average annual growth = "
                "(%(year)s ÷ %(base_year)s)^(1/%(years)s) − 1."
            ) % {
                "label": measure.label,
                "unit": unit,
                "value": figure_text(measure.in_year, money),
                "year": year,
                "previous": figure_text(measure.previous, money),
                "prev_year": year - 1,
                "base": figure_text(measure.base, money),
                "base_year": base,
                "years": year - base,
            }
        result.append(measure)
    note = str((indicator.source or {}).get("note") or "")
    if base_year(indicator) is not None:
        rates_in = [m.growth_in_year for m in result]
        rates_avg = [m.growth_average for m in result]
        in_year = None if None in rates_in else min(rates_in)  # type: ignore[type-var]
        cumulative = None if None in rates_avg else min(rates_avg)  # type: ignore[type-var]
        how = " ".join(m.how_growth for m in result)
        lower = (
            _(" With more than one measure, the row shows the lower rate.")
            if len(result) > 1
            else ""
        )
        return Figures(
            in_year=in_year,
            cumulative=cumulative,
            computed=all(m.computed for m in result),
            measures=result,
            how_in_year=_("Growth over the year before. ") + how + lower,
            how_cumulative=_("Average annual growth (年均增幅) since the base year. ")
            + how
            + lower,
            source_note=note,
        )
    head = result[0]
    return Figures(
        in_year=head.in_year,
        cumulative=head.cumulative,
        computed=head.computed,
        measures=result,
        how_in_year=head.how_in_year,
        how_cumulative=head.how_cumulative,
        source_note=note,
    )


def target_for_year(indicator: Indicator, year: int) -> tuple[int | None, dict]:
    """The target a year is held against: its own, or after the plan's last year the last one."""
    years = indicator.target_years
    if not years:
        return None, {}
    if year in years:
        return year, indicator.target(year)
    if year > years[-1]:
        return years[-1], indicator.target(years[-1])
    return None, {}


__all__ = ["CUMULATIVE", "IN_YEAR", "Figures", "Measure", "figures", "record_set"]
