"""Where each indicator's actual figure comes from: one entry per indicator code.

- ``computed``: a function of the year over this product's data;
- ``external``: a function another app registers (``register_source`` from its
  ``AppConfig.ready()``), so this app imports none of them;
- otherwise the administrator enters the figure (``IndicatorActual``), with its source.

A computed or external figure wins over an entered one; when neither exists the
dashboard shows "—" and says there is no data source yet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

from grants.models import ProgramKind, Status
from grants.selectors import applications_for_statistics

AWARDED_STATUSES = (Status.APPROVED, Status.AWARDED, Status.PAID)


def certified_organizations(year: int) -> int:
    """#8: distinct organisations with an approved, awarded or paid certification-subsidy claim
    in a programme year up to ``year`` (the plan's target is a running total: "200 by 2023")."""
    return (
        applications_for_statistics()
        .filter(
            program__kind=ProgramKind.CERTIFICATION,
            program__year__lte=year,
            status__in=AWARDED_STATUSES,
        )
        .values("organization_id")
        .distinct()
        .count()
    )


@dataclass(frozen=True)
class Source:
    kind: str  # "computed" (by this app) | "external" (registered by another app)
    function: Callable[[int], object]
    description: str | StrPromise = ""


REGISTRY: dict[str, Source] = {
    "certified-organizations": Source(
        "computed",
        certified_organizations,
        str(_("computed from the applications in this system")),
    ),
}


def register_source(
    code: str, function: Callable[[int], object], description: str | StrPromise
) -> None:
    """An app that holds an indicator's records registers its figure (from its ``ready()``);
    until one does, the dashboard says there is no data source yet."""
    REGISTRY[code] = Source("external", function, description)


def computed_value(code: str, year: int) -> Decimal | None:
    """The figure the product computes for ``code`` in ``year``, or None when it has no source."""
    source = REGISTRY.get(code)
    if source is None:
        return None
    value = source.function(year)
    return None if value is None else Decimal(str(value))
