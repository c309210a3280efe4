"""From the region's sign-off to the project's acceptance: each project the signed-off notice
lists gets its contract with milestones and tranches (the ``milestones`` step, with the
programme's milestones), and the last milestone accepted is the project's acceptance (验收),
with its certificate.

Who signs off is navigation's (``navigation.selectors.SIGNS_OFF``: the region); the award
itself is the lifecycle's one epilogue (``workflows.lifecycle.awards_approved``), which the
sign-off endpoint runs for each award in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grants.audit import audit_record
from grants.errors import Forbidden
from grants.models import Application, Level, Role
from letters.models import LetterKind
from letters.services import letter_enqueue
from milestones import services as milestones
from milestones.models import Milestone
from navigation.models import NavigationConfig, NavigationProject, Stage
from navigation.selectors import SIGNS_OFF, config_for, may, milestone_levels
from notices import services as notices
from notices.models import Notice


@dataclass(frozen=True)
class SignedOff:
    """A signed-off notice and the applications it awarded, in project order: the caller (the
    sign-off endpoint) runs ``workflows.lifecycle.awards_approved`` for them, in its transaction."""

    notice: Notice
    awards: list[Application]


def notice_sign_off(*, actor, notice: Notice, now: dt.datetime | None = None) -> SignedOff:
    """The region signs off after the notice period with every objection resolved: each
    project gets its contract with milestones and tranches (nothing is committed yet); the
    caller then approves each award through the lifecycle's epilogue."""
    if not may(actor, SIGNS_OFF):
        raise Forbidden(_("The autonomous region signs off."))
    now = now or timezone.now()
    with transaction.atomic():
        notice, listed = notices.notice_sign_off(
            actor=actor, notice=notice, now=now, level=Level.REGION
        )
        config = config_for(notice.program)
        awards = [_award(actor=actor, app=app, config=config, now=now) for app in listed]
    return SignedOff(notice=notice, awards=awards)


def _award(*, actor, app: Application, config: NavigationConfig, now) -> Application:
    """The project's contract, milestones and tranche plan; the application, for the epilogue."""
    NavigationProject.objects.filter(pk=app.pk).update(stage=Stage.AWARDED)
    milestones.contract_plan(
        actor=actor,
        application=app,
        milestones=config.milestones,
        starts_on=timezone.localtime(now).date(),
    )
    return app


# ---------------------------------------------------------------- milestones


def milestone_submit(*, actor, milestone: Milestone, report: str) -> Milestone:
    """The applicant reports on a milestone; it goes to the first level of the programme's
    milestone chain."""
    return milestones.milestone_submit(
        actor=actor,
        milestone=milestone,
        report=report,
        levels=milestone_levels(milestone.contract.project.program),
    )


def milestone_decide(*, actor, milestone: Milestone, decision: str, comment: str = "") -> Milestone:
    """A reviewer of the milestone's current level approves or returns it (like an application).

    Approval at the last level accepts it and commits its tranche through the ledger;
    the last milestone accepted is the project's acceptance (验收) and its certificate.
    """
    levels = milestone_levels(milestone.contract.project.program)
    with transaction.atomic():
        milestone = milestones.milestone_decide(
            actor=actor, milestone=milestone, decision=decision, comment=comment, levels=levels
        )
        if milestone.status == Milestone.Status.ACCEPTED and milestones.contract_accepted(
            milestone.contract
        ):
            project = NavigationProject.objects.select_related("application").get(
                pk=milestone.contract.project_id
            )
            project.stage = Stage.ACCEPTED
            project.accepted_at = milestone.accepted_at
            project.save(update_fields=["stage", "accepted_at"])
            audit_record(
                actor=actor,
                action="navigation.accepted",
                obj=project,
                application=project.application,
                role=Role.REVIEWER,
                level=levels[milestone.level_index],
                data={"contract": milestone.contract.number},
            )
            _issue_certificate(project, actor=actor)
    return milestone


def _issue_certificate(project: NavigationProject, *, actor=None) -> None:
    """The last milestone was accepted: the acceptance certificate (验收证书, letter kind
    ``acceptance``) is issued by a worker after commit like every letter, its own number
    series, leaving the application's status as it is. (The award letter is the lifecycle's,
    at sign-off.)"""
    audit_record(
        actor=actor,
        action="navigation.letter_due",
        obj=project.application,
        application=project.application,
        role="system",
        data={"kind": "acceptance_certificate"},
    )
    letter_enqueue(application=project.application, kind=LetterKind.ACCEPTANCE)
