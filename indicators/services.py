"""Changing the indicator table: an entered figure, or a definition; each audited.

A definition change is a new version (``Indicator.version`` + 1, the new definition kept as
an ``IndicatorVersion``) with one audit entry holding the definition before and after.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grants.audit import audit_record
from grants.errors import InvalidInput
from grants.models import Role
from indicators.models import SCOPES, Indicator, IndicatorActual, IndicatorVersion

DEFINITION_FIELDS = (
    "name",
    "name_en",
    "unit",
    "unit_en",
    "requirement",
    "target_text",
    "kind",
    "targets",
    "source",
)
SOURCE_TYPES = ("applications", "records", "entered")
AGGREGATES = ("count", "count_distinct", "sum")


def definition_of(indicator: Indicator) -> dict[str, Any]:
    return {"code": indicator.code, "number": indicator.number} | {
        key: getattr(indicator, key) for key in DEFINITION_FIELDS
    }


def definition_errors(targets: Any, source: Any) -> list[dict[str, str]]:
    """What is wrong with a definition's targets and source, as ``{field, message}``."""
    errors: list[dict[str, str]] = []
    if not isinstance(targets, dict):
        return [{"field": "targets", "message": _("An object: year → target.")}]
    for year, target in targets.items():
        where = f"targets.{year}"
        if not str(year).isdigit() or not isinstance(target, dict):
            errors.append({"field": where, "message": _("A year with its text, value and scope.")})
            continue
        if target.get("scope") not in SCOPES:
            errors.append({"field": f"{where}.scope", "message": _('"in_year" or "cumulative".')})
        value = target.get("value")
        if value not in (None, ""):
            try:
                Decimal(str(value))
            except InvalidOperation:
                errors.append({"field": f"{where}.value", "message": _("A number, or null.")})
    if not isinstance(source, dict) or source.get("type") not in SOURCE_TYPES:
        errors.append(
            {"field": "source.type", "message": _('"applications", "records" or "entered".')}
        )
        return errors
    measures = source.get("measures", [])
    if not isinstance(measures, list):
        errors.append({"field": "source.measures", "message": _("A list of measures.")})
        measures = []
    for i, m in enumerate(measures):
        if not isinstance(m, dict):
            errors.append({"field": f"source.measures[{i}]", "message": _("An object.")})
            continue
        if m.get("aggregate", "count") not in AGGREGATES:
            errors.append(
                {
                    "field": f"source.measures[{i}].aggregate",
                    "message": _('"count", "count_distinct" or "sum".'),
                }
            )
        if m.get("aggregate") == "sum" and not m.get("field"):
            errors.append(
                {"field": f"source.measures[{i}].field", "message": _("The field to add up.")}
            )
    if source["type"] == "applications":
        programs = source.get("programs")
        if not isinstance(programs, dict) or not any(
            programs.get(k) for k in ("codes", "kinds", "feeds")
        ):
            errors.append(
                {
                    "field": "source.programs",
                    "message": _("Choose programmes by codes, kinds or the indicator they feed."),
                }
            )
    if source["type"] == "records" and not source.get("records"):
        errors.append({"field": "source.records", "message": _("The record set's name.")})
    growth = source.get("growth")
    if growth is not None and not (
        isinstance(growth, dict) and isinstance(growth.get("base_year"), int)
    ):
        errors.append({"field": "source.growth.base_year", "message": _("A year.")})
    return errors


def indicator_definition_update(
    *, actor, indicator: Indicator, changes: dict[str, Any]
) -> Indicator:
    """Apply ``changes`` (of ``DEFINITION_FIELDS``) as a new version, audited before/after."""
    unknown = set(changes) - set(DEFINITION_FIELDS)
    if unknown:
        raise InvalidInput([{"field": k, "message": _("Not editable.")} for k in sorted(unknown)])
    errors = definition_errors(
        changes.get("targets", indicator.targets), changes.get("source", indicator.source)
    )
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        current = Indicator.objects.select_for_update().get(pk=indicator.pk)
        before = definition_of(current)
        for key, value in changes.items():
            setattr(current, key, value)
        after = definition_of(current)
        if after == before:
            return current
        current.version += 1
        current.save()
        IndicatorVersion.objects.create(
            indicator=current, version=current.version, definition=after, changed_by=actor
        )
        audit_record(
            actor=actor,
            action="indicator.definition",
            obj=current,
            role=Role.ADMIN,
            data={
                "indicator": current.number,
                "version": current.version,
                "changed": sorted(k for k in after if after[k] != before.get(k)),
                "before": before,
                "after": after,
            },
        )
    return current


def indicator_actual_record(
    *,
    actor,
    indicator: Indicator,
    year: int,
    value: Decimal,
    source_note: str,
    measure: str = "",
) -> IndicatorActual:
    """Create or replace the entered figure of ``indicator`` (its ``measure``) for ``year`` —
    that year's own figure; the audit keeps the old one."""
    source_note = (source_note or "").strip()
    if not source_note:
        raise InvalidInput(
            [{"field": "source_note", "message": _("Say where the figure comes from.")}]
        )
    if value < 0:
        raise InvalidInput([{"field": "value", "message": _("A figure of zero or more.")}])
    with transaction.atomic():
        previous = IndicatorActual.objects.filter(
            indicator=indicator, year=year, measure=measure
        ).first()
        actual, _created = IndicatorActual.objects.update_or_create(
            indicator=indicator,
            year=year,
            measure=measure,
            defaults={
                "value": value,
                "source_note": source_note,
                "entered_by": actor,
                "entered_at": timezone.now(),
            },
        )
        audit_record(
            actor=actor,
            action="indicator.actual",
            obj=actual,
            role=Role.ADMIN,
            data={
                "indicator": indicator.code,
                "year": year,
                "measure": measure,
                "value": f"{value}",
                "previous": None if previous is None else f"{previous.value}",
                "source": source_note,
            },
        )
    return actual
