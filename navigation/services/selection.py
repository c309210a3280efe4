"""How navigation projects are selected: the expert review (the ``experts`` step with the
programme's criteria and the project's conflicts), the ranking, the city's selection published
as a public notice (the ``notices`` step), and the objections to it.

Who decides what over a whole call is navigation's (``navigation.selectors``: the city
selects and resolves objections); so is what a project's stage becomes. One function per
action, keyword-only; guard first, then change; every change writes its audit row in the
same transaction.
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from experts import services as experts
from experts.models import ExpertDraw, ExpertReview
from finance.services.budget import BudgetExceeded, budget_for
from grants.audit import audit_record
from grants.errors import Conflict, Forbidden, InvalidInput
from grants.models import Application, Level, Membership, Program, Role, Status
from grants.notifications import notify
from grants.services import application_conclude, clean_text, parse_money
from navigation.models import NavigationProject, Stage
from navigation.selectors import RESOLVES_OBJECTIONS, SELECTS, config_for, may
from navigation.services.joint import lock_project
from notices import services as notices
from notices.models import Notice, Objection

ZERO = Decimal("0.00")


def _require(actor, *, levels: tuple[str, ...] = (), message: str) -> None:
    if not may(actor, levels):
        raise Forbidden(message)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _members(organization_id: int) -> list:
    return [
        m.user
        for m in Membership.objects.filter(organization_id=organization_id).select_related("user")
    ]


# ---------------------------------------------------------------- expert review


def conflicting_organizations(project: NavigationProject) -> dict[int, str]:
    """The organisations whose experts may not review the project, with the reason recorded
    on the draw: the lead first, then the partner agencies."""
    out = {project.application.organization_id: "same_organisation"}
    for partner in project.partners.all():
        out.setdefault(partner.organization_id, "partner_agency")
    return out


def experts_draw(*, actor, project: NavigationProject, seed: str | None = None) -> ExpertDraw:
    """Draw the programme's N experts at random among those of the project's industry,
    skipping conflicts (recorded with their reasons); reproducible from the recorded seed."""
    _require(actor, message=_("Only programme administrators draw experts."))
    if seed is not None and (not isinstance(seed, str) or not 1 <= len(seed.strip()) <= 40):
        raise InvalidInput([{"field": "seed", "message": _("A seed of 1 to 40 characters.")}])
    seed = seed.strip() if seed else str(secrets.randbits(63))
    with transaction.atomic():
        project = lock_project(project.pk)
        if project.stage != Stage.EXPERT_REVIEW:
            raise Conflict(
                _("The project is at the stage “%(s)s”; experts are drawn after eligibility.")
                % {"s": project.get_stage_display()}
            )
        if ExpertDraw.objects.filter(project_id=project.pk).exists():
            raise Conflict(_("Experts were already drawn for this project."))
        config = config_for(project.application.program)
        return experts.experts_draw(
            actor=actor,
            application=project.application,
            topic=project.industry,
            organizations=conflicting_organizations(project),
            wanted=config.experts_per_application,
            seed=seed,
        )


def expert_declare(
    *, actor, review: ExpertReview, conflict: bool, reason: str = ""
) -> ExpertReview:
    """The drawn expert declares, before seeing the application, whether they have a conflict.

    A declared conflict takes them off the project and draws a replacement (its own seed).
    """
    with transaction.atomic():
        review = experts.review_declare(
            actor=actor, review=review, conflict=conflict, reason=reason
        )
        if conflict:
            project = lock_project(review.project_id)
            experts.experts_draw(
                actor=actor,
                application=project.application,
                topic=project.industry,
                organizations=conflicting_organizations(project),
                wanted=1,
                seed=str(secrets.randbits(63)),
                replaces=review,
            )
    return review


def review_score(*, actor, review: ExpertReview, scores: Any, comment: str = "") -> ExpertReview:
    """An expert scores every weighted criterion (0–100) with a comment; the project is scored
    (mean of the totals, dropping the highest and lowest of five or more) when all its
    experts have submitted."""
    config = config_for(review.project.program)
    with transaction.atomic():
        project = lock_project(review.project_id)
        review = experts.review_score(
            actor=actor,
            review=review,
            scores=scores,
            comment=comment,
            criteria=config.criteria,
            scoring_open=project.stage == Stage.EXPERT_REVIEW,
        )
        submitted = experts.submitted_totals(project.application)
        if len(submitted) >= config.experts_per_application:
            project.score = experts.aggregate_scores(submitted)
            project.stage = Stage.SCORED
            project.save(update_fields=["score", "stage"])
            audit_record(
                actor=actor,
                action="navigation.scored",
                obj=project,
                application=project.application,
                role="system",
                data={
                    "score": str(project.score),
                    "totals": [str(t) for t in submitted],
                    "dropped_high_low": len(submitted) >= 5,
                },
            )
    return review


# ---------------------------------------------------------------- ranking and selection


RANKED_STAGES = (
    Stage.EXPERT_REVIEW,
    Stage.SCORED,
    Stage.NOTICE,
    Stage.NOT_SELECTED,
    Stage.WITHDRAWN,
    Stage.AWARDED,
    Stage.ACCEPTED,
)


def ranking(program: Program) -> list[NavigationProject]:
    """Projects past eligibility, best score first (unscored last); ``rank`` set on scored ones."""
    projects = list(
        NavigationProject.objects.filter(application__program=program, stage__in=RANKED_STAGES)
        .select_related("application__organization")
        .prefetch_related("partners__organization")
    )
    projects.sort(
        key=lambda p: (p.score is None, -(p.score or 0), p.application.submitted_at, p.pk)
    )
    rank = 0
    for project in projects:
        project.rank = None
        if project.score is not None:
            rank += 1
            project.rank = rank
    return projects


def selection_decide(*, actor, program: Program, selected: list[dict], comment: str = "") -> Notice:
    """The city decides on the ranked list: the selected go to public notice; the rest are
    not selected (rejected). Departing from the ranking's order needs a comment."""
    _require(actor, levels=SELECTS, message=_("The city decides on the ranked list."))
    config = config_for(program)
    comment = clean_text(comment, "comment", required=False)
    with transaction.atomic():
        Program.objects.select_for_update(no_key=True).filter(pk=program.pk).exists()
        ranked = ranking(program)
        if any(p.stage == Stage.EXPERT_REVIEW for p in ranked):
            raise Conflict(_("Some projects are still in expert review."))
        candidates = {p.pk: p for p in ranked if p.stage == Stage.SCORED}
        if not candidates:
            raise Conflict(_("No scored project waits for a decision."))
        errors, chosen = [], []
        for i, item in enumerate(selected):
            pk = item.get("application")
            project = candidates.get(pk)
            if project is None:
                errors.append(
                    {
                        "field": f"selected[{i}].application",
                        "message": _("Not a scored project of this call."),
                    }
                )
                continue
            cap = project.application.award_amount or ZERO
            amount = cap
            if item.get("award_amount") is not None:
                try:
                    amount = parse_money(item["award_amount"], f"selected[{i}].award_amount")
                except InvalidInput as exc:
                    errors.extend(exc.errors)
                    continue
            if not ZERO < amount <= cap:
                errors.append(
                    {
                        "field": f"selected[{i}].award_amount",
                        "message": _("Between 0.01 and the assessed amount ¥%(cap)s.")
                        % {"cap": _money(cap)},
                    }
                )
                continue
            chosen.append((project, amount))
        if not chosen and not errors:
            errors.append({"field": "selected", "message": _("Select at least one project.")})
        if len({p.pk for p, _a in chosen}) != len(chosen):
            errors.append({"field": "selected", "message": _("A project is selected twice.")})
        if len(chosen) > config.target_count:
            errors.append(
                {
                    "field": "selected",
                    "message": _("At most %(n)d projects (the programme's target).")
                    % {"n": config.target_count},
                }
            )
        top = [p.pk for p in ranked if p.pk in candidates][: len(chosen)]
        if sorted(top) != sorted(p.pk for p, _a in chosen) and not comment:
            errors.append(
                {
                    "field": "comment",
                    "message": _("Say why the selection departs from the ranking."),
                }
            )
        if errors:
            raise InvalidInput(errors)
        budget = budget_for(program)
        total = sum((a for _p, a in chosen), ZERO)
        available = budget.available if budget else ZERO
        if total > available:
            raise BudgetExceeded(
                _("The selected awards (¥%(total)s) exceed the available budget (¥%(available)s).")
                % {"total": _money(total), "available": _money(available)},
                amount=_money(total),
                available=_money(available),
            )
        notice = notices.notice_publish(
            actor=actor,
            program=program,
            applications=[p.application for p, _a in chosen],
            working_days=config.notice_working_days,
            comment=comment,
            role=Role.REVIEWER,
            level=Level.CITY,
        )
        for project, amount in chosen:
            project.stage = Stage.NOTICE
            project.save(update_fields=["stage"])
            Application.objects.filter(pk=project.pk).update(
                award_amount=amount, updated_at=notice.published_at
            )
            audit_record(
                actor=actor,
                action="navigation.selected",
                obj=project,
                application=project.application,
                role=Role.REVIEWER,
                level=Level.CITY,
                comment=comment,
                data={
                    "notice": notice.number,
                    "award_amount": _money(amount),
                    "rank": project.rank,
                },
            )
        chosen_ids = {p.pk for p, _a in chosen}
        for project in candidates.values():
            if project.pk not in chosen_ids:
                _close_unsuccessful(
                    actor=actor,
                    project=project,
                    stage=Stage.NOT_SELECTED,
                    comment=comment or _("Not selected on merit."),
                )
    return notice


def _close_unsuccessful(*, actor, project: NavigationProject, stage: str, comment: str) -> None:
    app = Application.objects.select_for_update().get(pk=project.pk)
    project.stage = stage
    project.save(update_fields=["stage"])
    application_conclude(
        application=app,
        to_status=Status.REJECTED,
        actor=actor,
        role=Role.REVIEWER,
        comment=comment,
        data={"stage": stage},
    )
    notify(
        users=_members(app.organization_id),
        kind="rejected",
        application=app,
        context={"level_label": Level.CITY.label, "comment": comment},
    )


# ---------------------------------------------------------------- objections


def objection_file(
    *, notice: Notice, name: str, contact: str, text: str, project_id: int | None = None
) -> Objection:
    """Anyone may object on the public page while the notice runs (no login); the city, which
    resolves objections, and the administrators are told."""
    return notices.objection_file(
        notice=notice,
        name=name,
        contact=contact,
        text=text,
        application_id=project_id,
        notify_levels=RESOLVES_OBJECTIONS,
    )


def objection_resolve(*, actor, objection: Objection, outcome: str, resolution: str) -> Objection:
    """The city resolves an objection: dismissed, or upheld (the project leaves the notice:
    withdrawn, and its application rejected)."""
    _require(actor, levels=RESOLVES_OBJECTIONS, message=_("The city resolves objections."))
    with transaction.atomic():
        objection = notices.objection_resolve(
            actor=actor,
            objection=objection,
            outcome=outcome,
            resolution=resolution,
            level=Level.CITY,
        )
        if objection.status == Objection.Status.UPHELD:
            project = NavigationProject.objects.get(pk=objection.project_id)
            if project.stage == Stage.NOTICE:
                _close_unsuccessful(
                    actor=actor,
                    project=project,
                    stage=Stage.WITHDRAWN,
                    comment=objection.resolution,
                )
    return objection
