"""Navigation project actions: joint application, expert draw and scoring, city selection,
public notice and objections, region sign-off, contract, milestones and tranches.

One function per action, keyword-only; guard first, then change; every change
writes its audit row in the same transaction; notifications are rows in the same
transaction and e-mails after commit. Money moves only through ``finance.services``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import secrets
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grants.audit import audit_record
from grants.calendar import deadline_after
from grants.errors import Conflict, Forbidden, InvalidInput, NotFound
from grants.models import (
    EDITABLE_STATUSES,
    Application,
    Level,
    Membership,
    Organization,
    OrganizationKind,
    Program,
    ProgramKind,
    Role,
    RoleAssignment,
    Status,
)
from grants.notifications import notify
from grants.reviewers import administrators, reviewers_at
from grants.selectors import has_role, is_member, reviewer_jurisdictions
from grants.services import application_conclude, clean_text
from grants.transitions import transition
from letters.models import LetterKind
from letters.services import letter_enqueue
from navigation.draw import draw_experts
from navigation.models import (
    INDUSTRIES,
    Contract,
    Expert,
    ExpertConflict,
    ExpertDraw,
    ExpertReview,
    Milestone,
    NavigationConfig,
    NavigationProject,
    Notice,
    Objection,
    Partner,
    Stage,
)

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
LEAD_KINDS = (
    OrganizationKind.PARK,
    OrganizationKind.ASSOCIATION,
    OrganizationKind.ALLIANCE,
    OrganizationKind.ENTERPRISE,
)
DECISIONS = ("approve", "return")


# ---------------------------------------------------------------- helpers


def config_for(program: Program) -> NavigationConfig:
    if program.kind != ProgramKind.NAVIGATION:
        raise NotFound(_("“%(p)s” is not a navigation programme.") % {"p": program.code})
    try:  # no query when the caller select_related() it
        return program.navigation_config
    except NavigationConfig.DoesNotExist:
        config, _created = NavigationConfig.objects.get_or_create(program=program)
        return config


def acts_at(user, level: str) -> bool:
    """The user reviews at ``level`` (a guardian permission on a jurisdiction of that level)."""
    return any(place.level == level for place in reviewer_jurisdictions(user))


# Who decides what over a whole call (administrators may do each of them).
SELECTS = (Level.CITY,)
RESOLVES_OBJECTIONS = (Level.CITY,)
SIGNS_OFF = (Level.REGION,)


def may(actor, levels: tuple[str, ...]) -> bool:
    """An administrator, or a reviewer at one of ``levels``: the guard of the call-wide actions,
    also asked by the pages to decide which buttons to show."""
    return has_role(actor, Role.ADMIN) or any(acts_at(actor, level) for level in levels)


def _require(actor, *, levels: tuple[str, ...] = (), message: str) -> None:
    if not may(actor, levels):
        raise Forbidden(message)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _text(value: Any, field: str, **options) -> str:
    """Trimmed text input (see grants.services.clean_text)."""
    return clean_text(value, field, **options)


def _members(organization_id: int) -> list:
    return [
        m.user
        for m in Membership.objects.filter(organization_id=organization_id).select_related("user")
    ]


def _members_of(organization_ids: list[int]) -> list:
    """The active people acting for any of the organisations (each once)."""
    return list(
        get_user_model()
        .objects.filter(memberships__organization_id__in=organization_ids, is_active=True)
        .distinct()
        .order_by("pk")
    )


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


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


def _lock_project(project: NavigationProject) -> NavigationProject:
    Application.objects.select_for_update().filter(pk=project.pk).exists()
    return (
        NavigationProject.objects.select_related(
            "application__program", "application__organization__district"
        )
        .prefetch_related("partners__organization")
        .get(pk=project.pk)
    )


# ---------------------------------------------------------------- joint application


def _clean_budget_plan(plan: Any) -> list[dict]:
    from grants.services import parse_money

    if not isinstance(plan, list) or not plan:
        raise InvalidInput(
            [{"field": "budget_plan", "message": _("Give the budget for at least one year.")}]
        )
    rows, years, errors = [], set(), []
    for i, row in enumerate(plan):
        year = row.get("year") if isinstance(row, dict) else None
        if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
            errors.append(
                {"field": f"budget_plan[{i}].year", "message": _("A year from 2000 to 2100.")}
            )
            continue
        if year in years:
            errors.append({"field": f"budget_plan[{i}].year", "message": _("A year twice.")})
        years.add(year)
        try:
            amount = parse_money(row.get("amount"), f"budget_plan[{i}].amount")
        except InvalidInput as exc:
            errors.extend(exc.errors)
            continue
        rows.append({"year": year, "amount": f"{amount:.2f}"})
    if errors:
        raise InvalidInput(errors)
    return sorted(rows, key=lambda r: r["year"])


def _clean_deliverables(value: Any) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise InvalidInput(
            [{"field": "deliverables", "message": _("List at least one deliverable.")}]
        )
    items = [v.strip()[:300] for v in value if v.strip()]
    if not items:
        raise InvalidInput(
            [{"field": "deliverables", "message": _("List at least one deliverable.")}]
        )
    return items


# The application fields a joint application fills in itself (from the project's own input).
# Application fields a joint application copies from the project record (which the expert
# draw and the letters read); the applicant's form cannot edit them (``KindHooks.derived_fields``).
JOINT_FIELDS = ("industry", "partner_agency", "deliverables")


# The agency registry's status of an agency admitted to the cluster (``agencies.models.
# AgencyStatus.ADMITTED``): navigation reads the registry through the organisation's relation
# and never imports the vouchers' app (the two kinds are independent; a test holds the value).
ADMITTED = "admitted"


def admitted_agencies():
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


def _collect(errors: list[dict], clean, *args, **kwargs):
    """Run a cleaner, adding its errors to ``errors`` (so one answer names every bad field)."""
    try:
        return clean(*args, **kwargs)
    except InvalidInput as exc:
        errors.extend(exc.errors)
        return None


def project_create(
    *,
    actor,
    program_code: str,
    organization_id: int,
    partner_ids: list[int],
    industry: str,
    budget_plan: Any,
    deliverables: Any,
    fields: dict | None = None,
    cost_lines: list | None = None,
) -> NavigationProject:
    """A joint application as a draft: lead organisation, partner agencies, industry, plan.

    Every bad input is reported at once (the project's own, the programme's fields and the
    cost lines). Each partner agency's people are told (in-app, e-mail after commit)."""
    from grants.services import application_create, clean_cost_lines, clean_fields

    program = Program.objects.filter(code=program_code, kind=ProgramKind.NAVIGATION).first()
    if program is None:
        raise InvalidInput(
            [
                {
                    "field": "program",
                    "message": _("Not a navigation programme: %(p)s") % {"p": program_code},
                }
            ]
        )
    errors = []
    if industry not in INDUSTRIES:
        errors.append(
            {"field": "industry", "message": _("One of: %(i)s") % {"i": "、".join(INDUSTRIES)}}
        )
    lead = Organization.objects.filter(pk=organization_id).first()
    if lead is not None and lead.kind not in LEAD_KINDS:
        errors.append(
            {
                "field": "organization",
                "message": _("A park, association, alliance or enterprise leads the project."),
            }
        )
    partner_ids = list(dict.fromkeys(partner_ids or []))
    partners = {o.pk: o for o in Organization.objects.filter(pk__in=partner_ids)}
    if not partner_ids:
        errors.append({"field": "partners", "message": _("Name at least one partner agency.")})
    admitted = set(admitted_agencies().filter(pk__in=partner_ids).values_list("pk", flat=True))
    for i, pk in enumerate(partner_ids):
        if pk not in admitted or pk == organization_id:
            errors.append(
                {
                    "field": f"partners[{i}]",
                    "message": _(
                        "A partner is an IP service agency admitted to the service cluster, "
                        "other than the lead."
                    ),
                }
            )
    plan = _collect(errors, _clean_budget_plan, budget_plan)
    items = _collect(errors, _clean_deliverables, deliverables)
    if errors:  # the programme's fields and cost lines too, checked again when the draft is made
        own = {k: v for k, v in (fields or {}).items() if k not in JOINT_FIELDS}
        _collect(errors, clean_fields, program, own, require_all=False)
        _collect(errors, clean_cost_lines, program, cost_lines or [])
        raise InvalidInput(errors)
    fields = dict(fields or {})
    fields["industry"] = industry
    fields["partner_agency"] = "、".join(partners[pk].name for pk in partner_ids)
    fields["deliverables"] = "；".join(items)[:2000]
    with transaction.atomic():
        application = application_create(
            actor=actor,
            program_code=program.code,
            organization_id=organization_id,
            fields=fields,
            cost_lines=cost_lines or [],
        )
        project = NavigationProject.objects.create(
            application=application, industry=industry, deliverables=items, budget_plan=plan
        )
        Partner.objects.bulk_create(
            [Partner(project=project, organization_id=pk) for pk in partner_ids]
        )
        audit_record(
            actor=actor,
            action="navigation.create",
            obj=project,
            application=application,
            role=Role.APPLICANT,
            data={
                "industry": industry,
                "partners": partner_ids,
                "budget_plan": plan,
                "deliverables": items,
            },
        )
        # the people of each partner agency (not the applicant who named it, if one of them)
        notify(
            users=[
                user for user in _members_of(partner_ids) if user.pk != getattr(actor, "pk", None)
            ],
            kind="partner_named",
            application=application,
            context={"lead": application.organization},
        )
    return project


def partner_confirm(*, actor, project: NavigationProject, organization_id: int) -> Partner:
    """A partner agency confirms its participation (by someone who acts for it)."""
    with transaction.atomic():
        project = _lock_project(project)
        partner = project.partners.filter(organization_id=organization_id).first()
        if partner is None:
            raise NotFound(_("This organisation is not a partner of the project."))
        if not is_member(actor, organization_id):
            raise Forbidden(_("Only someone acting for the partner agency confirms."))
        if project.application.status not in EDITABLE_STATUSES:
            raise Conflict(_("The application was already submitted."))
        if partner.confirmed_at:
            return partner
        partner.confirmed_at = timezone.now()
        partner.confirmed_by = actor
        partner.save(update_fields=["confirmed_at", "confirmed_by"])
        audit_record(
            actor=actor,
            action="navigation.partner_confirm",
            obj=partner,
            application=project.application,
            role=Role.APPLICANT,
            data={"organization": organization_id},
        )
    return partner


def project_submitted(*, application: Application) -> None:
    """Guard of ``grants.services.application_submit`` for navigation (same transaction):
    every partner confirmed and the budget plan covers the costs; then eligibility review."""
    project = NavigationProject.objects.filter(application=application).first()
    if project is None:
        raise Conflict(_("A navigation application is created as a joint application."))
    waiting = [
        p.organization.name
        for p in project.partners.select_related("organization")
        if not p.confirmed_at
    ]
    if waiting:
        raise Conflict(
            _("Partner agencies have not confirmed their participation: %(p)s")
            % {"p": "、".join(waiting)}
        )
    costs = sum((c.amount for c in application.cost_lines.all()), ZERO)
    if project.budget_total != costs:
        raise InvalidInput(
            [
                {
                    "field": "budget_plan",
                    "message": _(
                        "The budget plan (¥%(plan)s) must equal the cost lines (¥%(cost)s)."
                    )
                    % {"plan": _money(project.budget_total), "cost": _money(costs)},
                }
            ]
        )
    if project.stage != Stage.ELIGIBILITY:
        NavigationProject.objects.filter(pk=project.pk).update(stage=Stage.ELIGIBILITY)


def eligibility_passed(*, application: Application, actor, level: str) -> None:
    """The eligibility chain (ReviewFlow) approved at its last level: on to expert review.

    The kind's ``on_final_approval`` hook (``navigation.kind``), called by
    ``workflows.lifecycle.finish`` instead of the budget commitment: a navigation award is
    final only after the notice and the region's sign-off.
    """
    project = NavigationProject.objects.get(pk=application.pk)
    project.stage = Stage.EXPERT_REVIEW
    project.save(update_fields=["stage"])
    # still in review, at no level of the chain: the call's own steps hold it now
    transition(
        application,
        to=Status.IN_REVIEW,
        level="",
        audit_level=level,
        actor=actor,
        role=Role.REVIEWER,
        action="navigation.eligible",
        obj=project,
        data={"stage": Stage.EXPERT_REVIEW},
    )
    notify(users=administrators(), kind="navigation_eligible", application=application)


# ---------------------------------------------------------------- expert draw


def conflicts_for(project: NavigationProject, experts: list[Expert]) -> dict[str, str]:
    """Why each expert may not review the project (absent when there is no conflict)."""
    lead = project.application.organization_id
    partners = set(project.partners.values_list("organization_id", flat=True))
    orgs = {lead} | partners
    memberships: dict[int, set[int]] = {}
    for user_id, org_id in Membership.objects.filter(
        user_id__in=[e.user_id for e in experts], organization_id__in=orgs
    ).values_list("user_id", "organization_id"):
        memberships.setdefault(user_id, set()).add(org_id)
    declared = {
        (c.expert_id, c.organization_id): c.reason
        for c in ExpertConflict.objects.filter(expert__in=experts, organization_id__in=orgs)
    }
    declined = dict(
        ExpertReview.objects.filter(
            project=project, status=ExpertReview.Status.CONFLICT
        ).values_list("expert_id", "conflict_reason")
    )
    out: dict[str, str] = {}
    for expert in experts:
        reason = ""
        if expert.employer_id == lead or lead in memberships.get(expert.user_id, set()):
            reason = "same_organisation"
        elif expert.employer_id in partners or memberships.get(expert.user_id, set()) & partners:
            reason = "partner_agency"
        else:
            found = [r for (e, o), r in declared.items() if e == expert.pk]
            if found:
                reason = f"declared: {found[0]}"
            elif expert.pk in declined:
                reason = f"declared for this application: {declined[expert.pk]}"
        if reason:
            out[str(expert.pk)] = reason
    return out


def _pool(project: NavigationProject, exclude: set[int]) -> list[Expert]:
    experts = Expert.objects.filter(
        is_active=True, user__is_active=True, user__roles__role=Role.EXPERT
    ).distinct()
    return [e for e in experts if project.industry in (e.industries or []) and e.pk not in exclude]


def _draw(
    *, actor, project: NavigationProject, wanted: int, seed: str, replaces=None
) -> ExpertDraw:
    taken = set(project.reviews.values_list("expert_id", flat=True))
    pool = _pool(project, exclude=taken)
    conflicts = conflicts_for(project, pool)
    candidates = [e.pk for e in pool]
    result = draw_experts(candidates, conflicts, wanted, seed)
    if len(result.drawn) < wanted:
        raise Conflict(
            _(
                "Only %(have)d expert(s) in %(industry)s are free of conflicts; %(want)d are needed. "
                "Add experts to the pool."
            )
            % {"have": len(result.drawn), "industry": project.industry, "want": wanted}
        )
    draw = ExpertDraw.objects.create(
        project=project,
        seed=seed,
        wanted=wanted,
        candidates=candidates,
        conflicts=conflicts,
        drawn=result.drawn,
        skipped=result.skipped,
        replaces=replaces,
        created_by=actor,
    )
    experts = {e.pk: e for e in pool}
    ExpertReview.objects.bulk_create(
        [ExpertReview(project=project, expert=experts[pk], draw=draw) for pk in result.drawn]
    )
    audit_record(
        actor=actor,
        action="navigation.experts_draw",
        obj=draw,
        application=project.application,
        role=Role.ADMIN,
        data={
            "seed": seed,
            "drawn": result.drawn,
            "skipped": result.skipped,
            "candidates": candidates,
            "replaces": replaces.pk if replaces else None,
        },
    )
    notify(
        users=[experts[pk].user for pk in result.drawn],
        kind="expert_drawn",
        application=project.application,
    )
    return draw


def experts_draw(*, actor, project: NavigationProject, seed: str | None = None) -> ExpertDraw:
    """Draw the programme's N experts at random among those of the project's industry,
    skipping conflicts (recorded with their reasons); reproducible from the recorded seed."""
    _require(actor, message=_("Only programme administrators draw experts."))
    if seed is not None and (not isinstance(seed, str) or not 1 <= len(seed.strip()) <= 40):
        raise InvalidInput([{"field": "seed", "message": _("A seed of 1 to 40 characters.")}])
    seed = seed.strip() if seed else str(secrets.randbits(63))
    with transaction.atomic():
        project = _lock_project(project)
        if project.stage != Stage.EXPERT_REVIEW:
            raise Conflict(
                _("The project is at the stage “%(s)s”; experts are drawn after eligibility.")
                % {"s": project.get_stage_display()}
            )
        if project.draws.exists():
            raise Conflict(_("Experts were already drawn for this project."))
        config = config_for(project.application.program)
        return _draw(actor=actor, project=project, wanted=config.experts_per_application, seed=seed)


def expert_declare(
    *, actor, review: ExpertReview, conflict: bool, reason: str = ""
) -> ExpertReview:
    """The drawn expert declares, before seeing the application, whether they have a conflict.

    A declared conflict takes them off the project and draws a replacement (its own seed).
    """
    if review.expert.user_id != actor.pk:
        raise NotFound(_("No such review assignment."))
    reason = _text(reason, "reason", required=bool(conflict), max_length=300)
    with transaction.atomic():
        project = _lock_project(review.project)
        review = ExpertReview.objects.select_for_update().get(pk=review.pk)
        if review.status != ExpertReview.Status.DRAWN:
            raise Conflict(_("You already made your declaration."))
        review.declared_at = timezone.now()
        review.status = ExpertReview.Status.CONFLICT if conflict else ExpertReview.Status.DECLARED
        review.conflict_reason = reason if conflict else ""
        review.save(update_fields=["declared_at", "status", "conflict_reason"])
        audit_record(
            actor=actor,
            action="navigation.expert_declare",
            obj=review,
            application=project.application,
            role=Role.EXPERT,
            data={"conflict": bool(conflict), "reason": reason},
        )
        if conflict:
            _draw(
                actor=actor,
                project=project,
                wanted=1,
                seed=str(secrets.randbits(63)),
                replaces=review,
            )
    return review


def _parse_score(value: Any, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidInput([{"field": field, "message": _('A score from 0 to 100, e.g. "85.5".')}])
    try:
        score = Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidInput([{"field": field, "message": _("A score from 0 to 100.")}]) from None
    if not score.is_finite() or not 0 <= score <= 100 or score != score.quantize(Decimal("0.1")):
        raise InvalidInput(
            [{"field": field, "message": _("A score from 0 to 100 with at most one decimal.")}]
        )
    return score


def aggregate_scores(totals: list[Decimal]) -> Decimal:
    """The mean of the experts' totals; with five or more, the highest and lowest are dropped."""
    values = sorted(totals)
    if len(values) >= 5:
        values = values[1:-1]
    return (sum(values, ZERO) / len(values)).quantize(CENT, rounding=ROUND_HALF_UP)


def review_score(*, actor, review: ExpertReview, scores: Any, comment: str = "") -> ExpertReview:
    """An expert scores every weighted criterion (0–100) with a comment; the project is scored
    when all its experts have submitted."""
    if review.expert.user_id != actor.pk:
        raise NotFound(_("No such review assignment."))
    config = config_for(review.project.application.program)
    if not isinstance(scores, dict):
        raise InvalidInput([{"field": "scores", "message": _("An object: criterion → score.")}])
    codes = [c["code"] for c in config.criteria]
    errors = [
        {"field": f"scores.{k}", "message": _("Unknown criterion.")}
        for k in scores
        if k not in codes
    ]
    errors += [
        {"field": f"scores.{c}", "message": _("This criterion needs a score.")}
        for c in codes
        if c not in scores
    ]
    if errors:
        raise InvalidInput(errors)
    parsed = {c: _parse_score(scores[c], f"scores.{c}") for c in codes}
    comment = _text(comment, "comment")
    weights = {c["code"]: c["weight"] for c in config.criteria}
    total = (sum((parsed[c] * weights[c] for c in codes), ZERO) / 100).quantize(
        CENT, rounding=ROUND_HALF_UP
    )
    with transaction.atomic():
        project = _lock_project(review.project)
        review = ExpertReview.objects.select_for_update().get(pk=review.pk)
        if review.status == ExpertReview.Status.DRAWN:
            raise Conflict(_("Declare that you have no conflict of interest first."))
        if review.status != ExpertReview.Status.DECLARED or project.stage != Stage.EXPERT_REVIEW:
            raise Conflict(_("This review is closed."))
        review.scores = {c: str(v) for c, v in parsed.items()}
        review.total = total
        review.comment = comment
        review.status = ExpertReview.Status.SUBMITTED
        review.submitted_at = timezone.now()
        review.save(update_fields=["scores", "total", "comment", "status", "submitted_at"])
        audit_record(
            actor=actor,
            action="navigation.expert_score",
            obj=review,
            application=project.application,
            role=Role.EXPERT,
            comment=comment,
            data={"scores": review.scores, "total": str(total)},
        )
        submitted = list(
            project.reviews.filter(status=ExpertReview.Status.SUBMITTED).values_list(
                "total", flat=True
            )
        )
        if len(submitted) >= config.experts_per_application:
            project.score = aggregate_scores(submitted)
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
        .select_related("application__organization", "notice")
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
    comment = _text(comment, "comment", required=False)
    from grants.services import parse_money

    with transaction.atomic():
        Program.objects.select_for_update().filter(pk=program.pk).exists()
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
        from finance.services.budget import BudgetExceeded, budget_for

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
        from grants.services import next_in_sequence

        now = timezone.now()
        year = timezone.localdate().year
        serial = next_in_sequence(f"notice:{year}")
        notice = Notice.objects.create(
            number=f"GS-{year}-{serial:04d}",
            program=program,
            published_at=now,
            ends_at=deadline_after(now, config.notice_working_days),
            working_days=config.notice_working_days,
            comment=comment,
            decided_by=actor,
        )
        for project, amount in chosen:
            project.stage = Stage.NOTICE
            project.notice = notice
            project.save(update_fields=["stage", "notice"])
            Application.objects.filter(pk=project.pk).update(award_amount=amount, updated_at=now)
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
        audit_record(
            actor=actor,
            action="navigation.notice_publish",
            obj=notice,
            role=Role.REVIEWER,
            level=Level.CITY,
            data={
                "number": notice.number,
                "ends_at": notice.ends_at.isoformat(),
                "projects": sorted(chosen_ids),
            },
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


# ---------------------------------------------------------------- notice and objections


def objection_file(
    *, notice: Notice, name: str, contact: str, text: str, project_id: int | None = None
) -> Objection:
    """Anyone may object on the public page while the notice runs (no login)."""
    errors: list[dict] = []
    name = _collect(errors, _text, name, "name", max_length=100)
    contact = _collect(errors, _text, contact, "contact", max_length=100)
    text = _collect(errors, _text, text, "text", max_length=4000)
    project = None
    if project_id is not None:  # the projects of a notice are fixed when it is published
        project = notice.projects.select_related("application").filter(pk=project_id).first()
        if project is None:
            errors.append({"field": "project", "message": _("Not a project of this notice.")})
        elif project.stage == Stage.WITHDRAWN:
            errors.append(
                {
                    "field": "project",
                    "message": _("This project is already withdrawn after an objection."),
                }
            )
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        notice = Notice.objects.select_for_update().get(pk=notice.pk)
        if not notice.is_open_for_objections():
            raise Conflict(_("The public notice period is over."))
        objection = Objection.objects.create(
            notice=notice, project=project, name=name, contact=contact, text=text
        )
        audit_record(
            actor=None,
            action="navigation.objection_file",
            obj=objection,
            application=project.application if project else None,
            role="public",
            comment=text,
            data={"notice": notice.number, "name": name},
        )
        recipients = administrators() + [
            u
            for u in get_user_model().objects.filter(
                roles__role=Role.REVIEWER, roles__level=Level.CITY, is_active=True
            )
        ]
        notify(
            users=recipients,
            kind="objection_filed",
            application=project.application if project else None,
            context={"notice": notice},
        )
    return objection


def objection_resolve(*, actor, objection: Objection, outcome: str, resolution: str) -> Objection:
    """The city resolves an objection: dismissed, or upheld (the project leaves the notice)."""
    _require(actor, levels=RESOLVES_OBJECTIONS, message=_("The city resolves objections."))
    if outcome not in (Objection.Status.DISMISSED, Objection.Status.UPHELD):
        raise InvalidInput([{"field": "outcome", "message": _("Use dismissed or upheld.")}])
    resolution = _text(resolution, "resolution")
    with transaction.atomic():
        objection = (
            Objection.objects.select_for_update(of=("self",))
            .select_related("project")
            .get(pk=objection.pk)
        )
        if objection.status != Objection.Status.OPEN:
            raise Conflict(_("The objection was already resolved."))
        if outcome == Objection.Status.UPHELD and objection.project is None:
            raise InvalidInput(
                [
                    {
                        "field": "outcome",
                        "message": _("Only an objection to a named project is upheld."),
                    }
                ]
            )
        objection.status = outcome
        objection.resolution = resolution
        objection.resolved_by = actor
        objection.resolved_at = timezone.now()
        objection.save(update_fields=["status", "resolution", "resolved_by", "resolved_at"])
        project = objection.project
        audit_record(
            actor=actor,
            action="navigation.objection_resolve",
            obj=objection,
            application=project.application if project else None,
            role=Role.REVIEWER,
            level=Level.CITY,
            comment=resolution,
            data={"outcome": outcome},
        )
        if outcome == Objection.Status.UPHELD and project.stage == Stage.NOTICE:
            _close_unsuccessful(
                actor=actor, project=project, stage=Stage.WITHDRAWN, comment=resolution
            )
    return objection


@dataclass(frozen=True)
class SignedOff:
    """A signed-off notice and the applications it awarded, in project order: the caller (the
    sign-off endpoint) runs ``workflows.lifecycle.award_approved`` for each, in its transaction."""

    notice: Notice
    awards: list[Application]


def notice_sign_off(*, actor, notice: Notice, now: dt.datetime | None = None) -> SignedOff:
    """The region signs off after the notice period with every objection resolved: each
    project gets its contract with milestones and tranches (nothing is committed yet); the
    caller then approves each award through the lifecycle's epilogue."""
    _require(actor, levels=SIGNS_OFF, message=_("The autonomous region signs off."))
    now = now or timezone.now()
    with transaction.atomic():
        notice = Notice.objects.select_for_update().get(pk=notice.pk)
        if notice.status != Notice.Status.OPEN:
            raise Conflict(_("The notice was already signed off."))
        if now <= notice.ends_at:
            raise Conflict(
                _("The public notice runs until %(end)s.")
                % {"end": timezone.localtime(notice.ends_at).strftime("%Y-%m-%d %H:%M")}
            )
        open_objections = notice.objections.filter(status=Objection.Status.OPEN).count()
        if open_objections:
            raise Conflict(_("%(n)d objection(s) are not resolved yet.") % {"n": open_objections})
        config = config_for(notice.program)
        projects = list(notice.projects.filter(stage=Stage.NOTICE).order_by("pk"))
        awards = [
            _award(actor=actor, project=project, config=config, now=now) for project in projects
        ]
        notice.status = Notice.Status.SIGNED_OFF
        notice.signed_off_by = actor
        notice.signed_off_at = now
        notice.save(update_fields=["status", "signed_off_by", "signed_off_at"])
        audit_record(
            actor=actor,
            action="navigation.sign_off",
            obj=notice,
            role=Role.REVIEWER,
            level=Level.REGION,
            data={"number": notice.number, "projects": [p.pk for p in projects]},
        )
    return SignedOff(notice=notice, awards=awards)


def _award(*, actor, project: NavigationProject, config: NavigationConfig, now) -> Application:
    """The project's contract, milestones and tranche plan; the application, for the epilogue."""
    from finance.services.tranches import tranche_plan

    app = (
        Application.objects.select_for_update()
        .select_related("program", "organization")
        .get(pk=project.pk)
    )
    project.stage = Stage.AWARDED
    project.save(update_fields=["stage"])
    award = app.award_amount
    amounts = [
        (award * m["share"] / 100).quantize(CENT, rounding=ROUND_HALF_UP) for m in config.milestones
    ]
    amounts[-1] = award - sum(amounts[:-1], ZERO)  # the last tranche takes the rounding
    tranches = tranche_plan(
        application=app,
        parts=[
            {"label": m["label"], "condition": _("Milestone accepted"), "amount": a}
            for m, a in zip(config.milestones, amounts, strict=True)
        ],
        actor=actor,
        role=Role.REVIEWER,
    )
    starts_on = timezone.localtime(now).date()
    contract = Contract.objects.create(
        project=project, number=f"{app.number}-HT", amount=award, starts_on=starts_on
    )
    for i, (m, tranche) in enumerate(zip(config.milestones, tranches, strict=True)):
        Milestone.objects.create(
            contract=contract,
            position=i + 1,
            code=m["code"],
            label=m["label"],
            label_en=m.get("label_en", ""),
            due_on=add_months(starts_on, m["due_months"]),
            share=m["share"],
            tranche=tranche,
        )
    audit_record(
        actor=actor,
        action="navigation.contract",
        obj=contract,
        application=app,
        role="system",
        data={
            "number": contract.number,
            "amount": _money(award),
            "milestones": [
                {"label": m["label"], "share": m["share"], "amount": _money(a)}
                for m, a in zip(config.milestones, amounts, strict=True)
            ],
        },
    )
    return app


# ---------------------------------------------------------------- milestones


def _milestone_locked(milestone: Milestone) -> Milestone:
    return (
        Milestone.objects.select_for_update(of=("self",))
        .select_related(
            "contract__project__application__organization__district",
            "contract__project__application__program",
            "tranche",
        )
        .get(pk=milestone.pk)
    )


def milestone_level(milestone: Milestone) -> str:
    """The review level a submitted milestone waits at (its chain is the programme's configuration)."""
    levels = config_for(milestone.contract.project.application.program).milestone_levels
    return levels[min(milestone.level_index, len(levels) - 1)]


def reviews_milestone_at(user, milestone: Milestone) -> bool:
    """The user reviews at the milestone's current level, in a jurisdiction covering the applicant."""
    level = milestone_level(milestone)
    district = milestone.contract.project.application.organization.district
    return any(
        p.level == level and district.path.startswith(p.path) for p in reviewer_jurisdictions(user)
    )


def waits_for_earlier(milestone: Milestone) -> bool:
    """An earlier milestone of the contract is not accepted yet: this one cannot be reported."""
    return (
        milestone.contract.milestones.filter(position__lt=milestone.position)
        .exclude(status=Milestone.Status.ACCEPTED)
        .exists()
    )


def milestones_to_decide(user) -> list[Milestone]:
    """Submitted milestone reports waiting for ``user``'s decision (one query), oldest first.

    A read for the reviewer's pages: only applications the user sees (``grants.selectors``),
    at the user's level and jurisdiction. Separation of duties is left to ``milestone_decide``.
    """
    if not reviewer_jurisdictions(user):
        return []
    from grants.selectors import applications_visible_to

    qs = (
        Milestone.objects.filter(
            status=Milestone.Status.SUBMITTED,
            contract__project__application__in=applications_visible_to(user).values("pk"),
        )
        .select_related(
            "tranche",
            "contract__project__application__program__navigation_config",
            "contract__project__application__organization__district",
        )
        .order_by("submitted_at", "pk")
    )
    return [m for m in qs if reviews_milestone_at(user, m)]


def milestone_submit(*, actor, milestone: Milestone, report: str) -> Milestone:
    """The applicant reports on a milestone; it goes to the first milestone review level."""
    report = _text(report, "report")
    with transaction.atomic():
        milestone = _milestone_locked(milestone)
        app = milestone.contract.project.application
        if not is_member(actor, app.organization_id):
            raise Forbidden(_("Only the applicant organisation reports on its milestones."))
        if milestone.status not in (Milestone.Status.PENDING, Milestone.Status.RETURNED):
            raise Conflict(_("The milestone is %(s)s.") % {"s": milestone.get_status_display()})
        if waits_for_earlier(milestone):
            raise Conflict(_("The earlier milestones must be accepted first."))
        from_status = milestone.status
        milestone.status = Milestone.Status.SUBMITTED
        milestone.report = report
        milestone.level_index = 0
        milestone.submitted_at = timezone.now()
        milestone.save(update_fields=["status", "report", "level_index", "submitted_at"])
        levels = config_for(app.program).milestone_levels
        audit_record(
            actor=actor,
            action="navigation.milestone_submit",
            obj=milestone,
            application=app,
            role=Role.APPLICANT,
            level=levels[0],
            from_status=from_status,
            to_status=milestone.status,
            data={"milestone": milestone.position},
        )
        notify(
            users=reviewers_at(levels[0], app.organization.district),
            kind="milestone_review",
            application=app,
            context={"milestone": milestone},
        )
    return milestone


def milestone_decide(*, actor, milestone: Milestone, decision: str, comment: str = "") -> Milestone:
    """A reviewer of the milestone's current level approves or returns it (like an application).

    Approval at the last level accepts it and commits its tranche through the ledger;
    the last milestone accepted is the project's acceptance (验收).
    """
    if decision not in DECISIONS:
        raise InvalidInput([{"field": "decision", "message": _("Use approve or return.")}])
    comment = _text(comment, "comment", required=decision == "return")
    with transaction.atomic():
        milestone = _milestone_locked(milestone)
        project = milestone.contract.project
        app = project.application
        if milestone.status != Milestone.Status.SUBMITTED:
            raise Conflict(
                _("The milestone is %(s)s; nothing to decide.")
                % {"s": milestone.get_status_display()}
            )
        levels = config_for(app.program).milestone_levels
        level = levels[milestone.level_index]
        district = app.organization.district
        if not reviews_milestone_at(actor, milestone):
            raise Forbidden(
                _("The milestone is at the %(l)s level, which is not yours.")
                % {"l": Level(level).label}
            )
        if is_member(actor, app.organization_id):
            raise Forbidden(_("Separation of duties: you act for the applicant organisation."))
        from_status = milestone.status
        if decision == "return":
            milestone.status = Milestone.Status.RETURNED
        elif milestone.level_index + 1 < len(levels):
            milestone.level_index += 1
        else:
            milestone.status = Milestone.Status.ACCEPTED
            milestone.accepted_at = timezone.now()
        milestone.save(update_fields=["status", "level_index", "accepted_at"])
        audit_record(
            actor=actor,
            action="navigation.milestone_decision",
            obj=milestone,
            application=app,
            role=Role.REVIEWER,
            level=level,
            from_status=from_status,
            to_status=milestone.status,
            comment=comment,
            data={"decision": decision, "milestone": milestone.position},
        )
        if milestone.status == Milestone.Status.ACCEPTED:
            from finance.services.tranches import tranche_commit

            tranche_commit(tranche=milestone.tranche, actor=actor, role=Role.REVIEWER)
            if not milestone.contract.milestones.exclude(status=Milestone.Status.ACCEPTED).exists():
                project.stage = Stage.ACCEPTED
                project.accepted_at = milestone.accepted_at
                project.save(update_fields=["stage", "accepted_at"])
                audit_record(
                    actor=actor,
                    action="navigation.accepted",
                    obj=project,
                    application=app,
                    role=Role.REVIEWER,
                    level=level,
                    data={"contract": milestone.contract.number},
                )
                _issue_certificate(project, actor=actor)
        elif milestone.status == Milestone.Status.SUBMITTED:
            notify(
                users=reviewers_at(levels[milestone.level_index], district),
                kind="milestone_review",
                application=app,
                context={"milestone": milestone},
            )
        else:
            notify(
                users=_members(app.organization_id),
                kind="milestone_returned",
                application=app,
                context={"milestone": milestone, "comment": comment},
            )
    return milestone


def milestones_overdue(*, today: dt.date | None = None) -> int:
    """Escalate milestones past their due date and not reported (once each): the applicant,
    the city reviewers and the administrators are told. Run daily by Celery beat."""
    today = today or timezone.localdate()
    count = 0
    due = Milestone.objects.filter(
        due_on__lt=today,
        status__in=(Milestone.Status.PENDING, Milestone.Status.RETURNED),
        escalated_at__isnull=True,
    ).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            milestone = _milestone_locked(Milestone(pk=pk))
            if milestone.escalated_at or milestone.status not in (
                Milestone.Status.PENDING,
                Milestone.Status.RETURNED,
            ):
                continue
            app = milestone.contract.project.application
            milestone.escalated_at = timezone.now()
            milestone.save(update_fields=["escalated_at"])
            audit_record(
                actor=None,
                action="navigation.milestone_overdue",
                obj=milestone,
                application=app,
                role="system",
                data={"milestone": milestone.position, "due_on": milestone.due_on.isoformat()},
            )
            notify(
                users=_members(app.organization_id)
                + reviewers_at(Level.CITY, app.organization.district)
                + administrators(),
                kind="milestone_overdue",
                application=app,
                context={"milestone": milestone},
            )
            count += 1
    return count


# ---------------------------------------------------------------- expert pool


def expert_register(
    *, actor, user, name: str, industries: list[str], employer: Organization | None = None
) -> Expert:
    """Add a user to the expert pool: the expert role and fields of expertise."""
    _require(actor, message=_("Only programme administrators keep the expert pool."))
    bad = [i for i in industries if i not in INDUSTRIES]
    if bad or not industries:
        raise InvalidInput(
            [
                {
                    "field": "industries",
                    "message": _("One or more of: %(i)s") % {"i": "、".join(INDUSTRIES)},
                }
            ]
        )
    with transaction.atomic():
        RoleAssignment.objects.get_or_create(
            user=user, role=Role.EXPERT, level="", jurisdiction=None
        )
        expert, _created = Expert.objects.update_or_create(
            user=user, defaults={"name": name, "industries": industries, "employer": employer}
        )
        audit_record(
            actor=actor,
            action="navigation.expert_register",
            obj=expert,
            role=Role.ADMIN,
            data={
                "user": user.username,
                "industries": industries,
                "employer": getattr(employer, "pk", None),
            },
        )
    return expert


def conflict_declare(
    *, actor, expert: Expert, organization: Organization, reason: str
) -> ExpertConflict:
    """Record a conflict of interest an expert declares with an organisation (by the expert or an admin)."""
    if expert.user_id != actor.pk:
        _require(actor, message=_("Only the expert or an administrator declares a conflict."))
    reason = _text(reason, "reason", max_length=200)
    with transaction.atomic():
        conflict, _created = ExpertConflict.objects.update_or_create(
            expert=expert, organization=organization, defaults={"reason": reason}
        )
        audit_record(
            actor=actor,
            action="navigation.conflict_declare",
            obj=conflict,
            role=Role.EXPERT,
            data={"expert": expert.pk, "organization": organization.pk, "reason": reason},
        )
    return conflict
