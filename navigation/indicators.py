"""Indicator 6 of the plan's table: industry navigation projects (1 in 2021, 2 by 2022, 5 by 2023).

A project counts when it is accepted (验收: its last milestone accepted). The plan's
targets are cumulative ("5 by 2023"), so ``industry_navigation_projects(year)`` counts
projects accepted up to the end of ``year``; ``accepted_in(year)`` those of that year only.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from navigation.models import NavigationProject, Stage

TARGETS = {2021: 1, 2022: 2, 2023: 5}


def _end_of(year: int) -> dt.datetime:
    zone = timezone.get_default_timezone()
    return dt.datetime(year + 1, 1, 1, tzinfo=zone)


def _accepted():
    return NavigationProject.objects.filter(stage=Stage.ACCEPTED, accepted_at__isnull=False)


def industry_navigation_projects(year: int) -> int:
    """Accepted industry navigation projects up to the end of ``year`` (local time)."""
    return _accepted().filter(accepted_at__lt=_end_of(year)).count()


def accepted_in(year: int) -> int:
    return (
        _accepted()
        .filter(accepted_at__gte=_end_of(year - 1), accepted_at__lt=_end_of(year))
        .count()
    )


def target(year: int) -> int | None:
    return TARGETS.get(year)
