"""Reads of the navigation programme: its configuration, who decides over a whole call, and
the look-ups the API and the pages share (a visible project, a programme, an expert's own
review assignment). Domain objects in, domain errors out: no request here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from experts.models import INDUSTRIES, ExpertReview
from grants.errors import NotFound
from grants.models import Level, Organization, OrganizationKind, Program, ProgramKind, Role
from grants.selectors import has_role, reviewer_jurisdictions, sees_everything, visible_application
from navigation.models import NavigationConfig, NavigationProject
from notices.models import Notice, NoticeEntry

# Who decides what over a whole call (administrators may do each of them).
SELECTS = (Level.CITY,)
RESOLVES_OBJECTIONS = (Level.CITY,)
SIGNS_OFF = (Level.REGION,)

# The agency registry's status of an agency admitted to the cluster (``agencies.models.
# AgencyStatus.ADMITTED``): navigation reads the registry through the organisation's relation
# and never imports the vouchers' app (the two kinds are independent; a test holds the value).
ADMITTED = "admitted"


def config_for(program: Program) -> NavigationConfig:
    if program.kind != ProgramKind.NAVIGATION:
        raise NotFound(_("“%(p)s” is not a navigation programme.") % {"p": program.code})
    try:  # no query when the caller select_related() it
        return program.navigation_config
    except NavigationConfig.DoesNotExist:
        config, _created = NavigationConfig.objects.get_or_create(program=program)
        return config


def milestone_levels(program: Program) -> list[str]:
    """The review chain of a navigation programme's milestones (its configuration)."""
    return config_for(program).milestone_levels


def acts_at(user, level: str) -> bool:
    """The user reviews at ``level`` (a guardian permission on a jurisdiction of that level)."""
    return any(place.level == level for place in reviewer_jurisdictions(user))


def may(actor, levels: Sequence[str]) -> bool:
    """An administrator, or a reviewer at one of ``levels``: the guard of the call-wide actions,
    also asked by the pages to decide which buttons to show."""
    return has_role(actor, Role.ADMIN) or any(acts_at(actor, level) for level in levels)


def decides(user) -> bool:
    """Sees the ranking and the objections: whoever sees everything, the city and the region."""
    return sees_everything(user) or any(
        acts_at(user, level) for level in (Level.CITY, Level.REGION)
    )


def admitted_agencies() -> QuerySet[Organization]:
    """Organisations that may be named as partners: IP service agencies admitted to the cluster."""
    return Organization.objects.filter(
        kind=OrganizationKind.SERVICE_AGENCY, agency__status=ADMITTED
    ).order_by("name", "pk")


def industries_for(program: Program) -> list[str]:
    """The target industries a project of ``program`` may name: the programme's configured
    choices for its ``industry`` field that the navigation programme knows (else all of them)."""
    field = program.fields.filter(name="industry").first()
    if field is None or not field.choices:
        return list(INDUSTRIES)
    return [c for c in field.choices if c in INDUSTRIES]


def notice_entries(path: str = "application__notice_entries") -> Prefetch:
    """Prefetch the notice entries (with their notice) behind ``NavigationProject.notice``."""
    return Prefetch(path, queryset=NoticeEntry.objects.select_related("notice"))


def projects() -> QuerySet[NavigationProject]:
    """Navigation projects with what their dictionary shows (``navigation.presenters``)."""
    return NavigationProject.objects.select_related(
        "application__program", "application__organization", "application__contract"
    ).prefetch_related("partners__organization", notice_entries())


def visible_project(user: Any, project_id: Any) -> NavigationProject:
    """The project ``project_id`` if ``user`` sees its application; else NotFound."""
    app = visible_application(user, project_id)
    project = projects().filter(pk=app.pk).first()
    if project is None:
        raise NotFound(_("This application is not a navigation project."))
    return project


def navigation_program(code: str) -> Program:
    program = Program.objects.filter(code=code, kind=ProgramKind.NAVIGATION).first()
    if program is None:
        raise NotFound(_("Unknown navigation programme “%(p)s”.") % {"p": code})
    return program


def navigation_notices() -> QuerySet[Notice]:
    """The public notices of navigation programmes (those of programmes with steps by
    configuration are ``programs.steps``')."""
    return Notice.objects.select_related("program").filter(program__kind=ProgramKind.NAVIGATION)


def own_review(user: Any, review_id: Any) -> ExpertReview:
    """The expert's own review assignment ``review_id`` (another's does not exist: NotFound)."""
    review = (
        ExpertReview.objects.select_related(
            "expert", "project__program", "project__organization", "project__navigation"
        )
        .prefetch_related(notice_entries("project__notice_entries"))
        .filter(pk=review_id, expert__user=user, project__navigation__isnull=False)
        .first()
    )
    if review is None:
        raise NotFound(_("No such review assignment."))
    return review
