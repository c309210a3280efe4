"""Where each indicator's actual figure comes from: one entry per indicator code.

- ``computed``: a function of the year over this product's data;
- ``external``: a function another app provides (``module.function(year)``), looked
  up with importlib, so the dashboard works before that app is installed;
- otherwise the administrator enters the figure (``IndicatorActual``), with its source.

A computed or external figure wins over an entered one; when neither exists the
dashboard shows "—" and says there is no data source yet.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

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
    kind: str  # "computed" | "external"
    function: Callable[[int], object] | None = None
    module: str = ""
    name: str = ""

    def resolve(self) -> Callable[[int], object] | None:
        if self.function is not None:
            return self.function
        try:
            module = importlib.import_module(self.module)
        except ImportError:
            return None
        return getattr(module, self.name, None)

    @property
    def description(self) -> str:
        if self.kind == "computed":
            return str(_("computed from the applications in this system"))
        return f"{self.module}.{self.name}"


REGISTRY: dict[str, Source] = {
    "certified-organizations": Source("computed", certified_organizations),
    "smes-in-custody": Source("external", module="agencies.indicators", name="smes_in_custody"),
    "industry-navigation-projects": Source(
        "external", module="navigation.indicators", name="industry_navigation_projects"
    ),
    "supported-service-agencies": Source(
        "external", module="agencies.indicators", name="supported_service_agencies"
    ),
}


def computed_value(code: str, year: int) -> Decimal | None:
    """The figure the product computes for ``code`` in ``year``, or None when it has no source."""
    source = REGISTRY.get(code)
    function = source.resolve() if source else None
    if function is None:
        return None
    value = function(year)
    return None if value is None else Decimal(str(value))
