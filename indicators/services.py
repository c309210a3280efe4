"""Recording an indicator figure by hand: one action, audited like every other change."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grants.audit import audit_record
from grants.errors import InvalidInput
from grants.models import Role
from indicators.models import Indicator, IndicatorActual


def indicator_actual_record(
    *, actor, indicator: Indicator, year: int, value: Decimal, source_note: str
) -> IndicatorActual:
    """Create or replace the entered figure of ``indicator`` for ``year``; the audit keeps the old one."""
    source_note = (source_note or "").strip()
    if not source_note:
        raise InvalidInput(
            [{"field": "source_note", "message": _("Say where the figure comes from.")}]
        )
    with transaction.atomic():
        previous = IndicatorActual.objects.filter(indicator=indicator, year=year).first()
        actual, _created = IndicatorActual.objects.update_or_create(
            indicator=indicator,
            year=year,
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
                "value": f"{value}",
                "previous": None if previous is None else f"{previous.value}",
                "source": source_note,
            },
        )
    return actual
