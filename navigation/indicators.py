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


# --- the record set of indicator 6 (``indicators.registry``) ------------------------------

# 实施: a project is carried out from its award (under contract) through its acceptance.
CARRIED_OUT = (Stage.AWARDED, Stage.ACCEPTED)


def projects_in_implementation(first: int, last: int):
    """Projects awarded or accepted, in their programme's year ``first``..``last``."""
    return NavigationProject.objects.filter(
        stage__in=CARRIED_OUT,
        application__program__year__gte=first,
        application__program__year__lte=last,
    ).select_related("application__program", "application__organization")


def present_project(project: NavigationProject) -> dict:
    from django.urls import reverse

    app = project.application
    return {
        "record": app.number,
        "unit_key": project.pk,
        "organization": app.organization.name,
        "programme": app.program.display_name,
        "date": str(app.program.year),
        "status": str(project.get_stage_display()),
        "url": reverse("application-detail", args=[app.pk]),
    }


def scope_projects(qs, user):
    from grants.selectors import applications_visible_to

    return qs.filter(application__in=applications_visible_to(user).values("pk"))
