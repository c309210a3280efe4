"""API v1 for navigation projects, mounted at ``/api/v1/navigation``.

Same conventions as the rest of the API: problem+json errors, paginated lists,
money as two-place decimal strings. What an application is visible to comes from
``grants.selectors.applications_visible_to``; the public notice and its objection
form need no login.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja import Status as Reply
from pydantic import Field

from config.apikit import ERRORS, MoneyStr, Page, paginate
from grants.errors import Forbidden, InvalidInput, NotFound
from grants.models import Level, Program, ProgramKind, Role
from grants.presenters import local, money
from grants.selectors import (
    applications_visible_to,
    has_role,
    is_member,
    sees_everything,
    visible_application,
)
from navigation import indicators, services
from navigation.models import (
    ExpertDraw,
    ExpertReview,
    Milestone,
    NavigationProject,
    Notice,
    Objection,
    Stage,
)
from workflows import lifecycle

router = Router(tags=["navigation"])


# ---------------------------------------------------------------- schemas


class BudgetYearIn(Schema):
    year: int
    amount: MoneyStr


class CostLineIn(Schema):
    kind: str
    amount: MoneyStr
    reference: str = ""


class ProjectIn(Schema):
    program: str = "navigation"
    organization: int
    partners: list[int] = Field(description="Organisation ids of the partner IP service agencies")
    industry: str
    budget_plan: list[BudgetYearIn]
    deliverables: list[str]
    fields: dict[str, Any] = {}
    cost_lines: list[CostLineIn] = []


class PartnerOut(Schema):
    organization: int
    name: str
    confirmed: bool
    confirmed_at: dt.datetime | None


class MilestoneOut(Schema):
    id: int
    position: int
    code: str
    label: str
    due_on: dt.date
    share: int
    amount: str
    tranche: int
    tranche_status: str
    status: str
    level: str | None
    overdue: bool
    accepted_at: dt.datetime | None


class ContractOut(Schema):
    number: str
    amount: str
    starts_on: dt.date
    milestones: list[MilestoneOut]


class ProjectOut(Schema):
    id: int
    number: str
    program: str
    organization: int
    organization_name: str
    status: str
    stage: str
    industry: str
    partners: list[PartnerOut]
    budget_plan: list[dict[str, Any]]
    budget_total: str
    deliverables: list[str]
    requested_amount: str | None
    award_amount: str | None
    score: str | None
    notice: str | None
    contract: ContractOut | None
    accepted_at: dt.datetime | None


class ProjectPage(Page):
    results: list[ProjectOut]


class DrawIn(Schema):
    seed: str | None = None


class DrawOut(Schema):
    id: int
    project: int
    seed: str
    wanted: int
    candidates: list[int]
    drawn: list[int]
    drawn_usernames: list[str]
    skipped: list[dict[str, Any]]
    replaces: int | None
    created_at: dt.datetime


class ReviewOut(Schema):
    id: int
    project: int
    number: str
    industry: str
    status: str
    declared: bool
    application: dict[str, Any] | None = Field(
        description="Shown only after the expert declared no conflict of interest"
    )
    criteria: list[dict[str, Any]]
    scores: dict[str, str]
    total: str | None
    comment: str


class ReviewPage(Page):
    results: list[ReviewOut]


class DeclarationIn(Schema):
    conflict: bool
    reason: str = ""


class ScoresIn(Schema):
    scores: dict[str, Any]
    comment: str


class RankingRow(Schema):
    rank: int | None
    application: int
    number: str
    organization_name: str
    partners: list[str]
    industry: str
    stage: str
    score: str | None
    experts_submitted: int
    requested_amount: str | None
    award_amount: str | None
    cumulative_requested: str | None


class RankingOut(Schema):
    program: str
    year: int
    target_count: int
    budget: dict[str, str]
    results: list[RankingRow]


class SelectedIn(Schema):
    application: int
    award_amount: MoneyStr | None = None


class SelectionIn(Schema):
    selected: list[SelectedIn]
    comment: str = ""


class NoticeProjectOut(Schema):
    application: int
    number: str
    organization_name: str
    partners: list[str]
    industry: str
    score: str | None
    award_amount: str | None
    stage: str


class NoticeOut(Schema):
    id: int
    number: str
    program: str
    program_name: str
    status: str
    published_at: dt.datetime
    ends_at: dt.datetime
    working_days: int
    open_for_objections: bool
    projects: list[NoticeProjectOut]
    objections_open: int


class NoticePage(Page):
    results: list[NoticeOut]


class ObjectionIn(Schema):
    name: str
    contact: str
    text: str
    project: int | None = None


class ObjectionFiledOut(Schema):
    id: int
    status: str
    filed_at: dt.datetime


class ObjectionOut(Schema):
    id: int
    notice: str
    project: int | None
    name: str
    contact: str
    text: str
    filed_at: dt.datetime
    status: str
    resolution: str
    resolved_at: dt.datetime | None


class ResolutionIn(Schema):
    outcome: str = Field(description="dismissed | upheld")
    resolution: str


class MilestoneReportIn(Schema):
    report: str


class MilestoneDecisionIn(Schema):
    decision: str = Field(description="approve | return")
    comment: str = ""


class IndicatorOut(Schema):
    indicator: str
    year: int
    value: int
    accepted_in_year: int
    target: int | None


# ---------------------------------------------------------------- serialisers


def _partners(project: NavigationProject) -> list[str]:
    return [p.organization.name for p in project.partners.all()]


def milestone_dict(m: Milestone, today: dt.date | None = None) -> dict[str, Any]:
    today = today or timezone.localdate()
    levels = services.config_for(m.contract.project.application.program).milestone_levels
    return {
        "id": m.pk,
        "position": m.position,
        "code": m.code,
        "label": m.display_label,
        "due_on": m.due_on,
        "share": m.share,
        "amount": money(m.tranche.amount),
        "tranche": m.tranche_id,
        "tranche_status": m.tranche.status,
        "status": m.status,
        "level": levels[m.level_index] if m.status == Milestone.Status.SUBMITTED else None,
        "overdue": m.status in (Milestone.Status.PENDING, Milestone.Status.RETURNED)
        and m.due_on < today,
        "accepted_at": local(m.accepted_at),
    }


def project_dict(project: NavigationProject) -> dict[str, Any]:
    app = project.application
    contract = getattr(project, "contract", None)
    requested = (
        app.award_amount
        if project.stage in (Stage.ELIGIBILITY, Stage.EXPERT_REVIEW, Stage.SCORED)
        else None
    )
    return {
        "id": app.pk,
        "number": app.number,
        "program": app.program.code,
        "organization": app.organization_id,
        "organization_name": app.organization.name,
        "status": app.status,
        "stage": project.stage,
        "industry": project.industry,
        "partners": [
            {
                "organization": p.organization_id,
                "name": p.organization.name,
                "confirmed": p.confirmed_at is not None,
                "confirmed_at": local(p.confirmed_at),
            }
            for p in project.partners.all()
        ],
        "budget_plan": project.budget_plan,
        "budget_total": money(project.budget_total),
        "deliverables": project.deliverables,
        "requested_amount": money(requested),
        "award_amount": money(app.award_amount) if requested is None else None,
        "score": money(project.score),
        "notice": project.notice.number if project.notice_id else None,
        "contract": None
        if contract is None
        else {
            "number": contract.number,
            "amount": money(contract.amount),
            "starts_on": contract.starts_on,
            "milestones": [
                milestone_dict(m) for m in contract.milestones.select_related("tranche")
            ],
        },
        "accepted_at": local(project.accepted_at),
    }


def draw_dict(draw: ExpertDraw) -> dict[str, Any]:
    from navigation.models import Expert

    names = dict(Expert.objects.filter(pk__in=draw.drawn).values_list("pk", "user__username"))
    return {
        "id": draw.pk,
        "project": draw.project_id,
        "seed": draw.seed,
        "wanted": draw.wanted,
        "candidates": draw.candidates,
        "drawn": draw.drawn,
        "drawn_usernames": [names.get(pk, "") for pk in draw.drawn],
        "skipped": draw.skipped,
        "replaces": draw.replaces_id,
        "created_at": local(draw.created_at),
    }


def review_dict(review: ExpertReview) -> dict[str, Any]:
    project = review.project
    config = services.config_for(project.application.program)
    declared = review.status in (ExpertReview.Status.DECLARED, ExpertReview.Status.SUBMITTED)
    return {
        "id": review.pk,
        "project": project.pk,
        "number": project.application.number,
        "industry": project.industry,
        "status": review.status,
        "declared": declared,
        "application": project_dict(project) | {"fields": project.application.fields}
        if declared
        else None,
        "criteria": [
            {"code": c["code"], "label": config.criterion_label(c), "weight": c["weight"]}
            for c in config.criteria
        ],
        "scores": review.scores,
        "total": money(review.total),
        "comment": review.comment,
    }


def notice_dict(notice: Notice) -> dict[str, Any]:
    return {
        "id": notice.pk,
        "number": notice.number,
        "program": notice.program.code,
        "program_name": notice.program.display_name,
        "status": notice.status,
        "published_at": local(notice.published_at),
        "ends_at": local(notice.ends_at),
        "working_days": notice.working_days,
        "open_for_objections": notice.is_open_for_objections(),
        "projects": [
            {
                "application": p.pk,
                "number": p.application.number,
                "organization_name": p.application.organization.name,
                "partners": _partners(p),
                "industry": p.industry,
                "score": money(p.score),
                "award_amount": money(p.application.award_amount),
                "stage": p.stage,
            }
            for p in notice.projects.select_related("application__organization")
            .prefetch_related("partners__organization")
            .order_by("-score", "pk")
        ],
        "objections_open": notice.objections.filter(status=Objection.Status.OPEN).count(),
    }


def objection_dict(o: Objection) -> dict[str, Any]:
    return {
        "id": o.pk,
        "notice": o.notice.number,
        "project": o.project_id,
        "name": o.name,
        "contact": o.contact,
        "text": o.text,
        "filed_at": local(o.filed_at),
        "status": o.status,
        "resolution": o.resolution,
        "resolved_at": local(o.resolved_at),
    }


# ---------------------------------------------------------------- access helpers


def _projects():
    return NavigationProject.objects.select_related(
        "application__program", "application__organization", "notice", "contract"
    ).prefetch_related("partners__organization")


def _visible_project(request, project_id: int) -> NavigationProject:
    app = visible_application(request.user, project_id)
    project = _projects().filter(pk=app.pk).first()
    if project is None:
        raise NotFound(_("This application is not a navigation project."))
    return project


def _program(code: str) -> Program:
    program = Program.objects.filter(code=code, kind=ProgramKind.NAVIGATION).first()
    if program is None:
        raise NotFound(_("Unknown navigation programme “%(p)s”.") % {"p": code})
    return program


def _decides(request) -> bool:
    user = request.user
    return sees_everything(user) or any(
        services.acts_at(user, level) for level in (Level.CITY, Level.REGION)
    )


def _own_review(request, review_id: int) -> ExpertReview:
    review = (
        ExpertReview.objects.select_related(
            "expert", "project__application__program", "project__application__organization"
        )
        .filter(pk=review_id, expert__user=request.user)
        .first()
    )
    if review is None:
        raise NotFound(_("No such review assignment."))
    return review


# ---------------------------------------------------------------- joint applications


@router.post(
    "/projects",
    response={201: ProjectOut, **ERRORS},
    summary="Create a joint navigation application (draft) with partner agencies and budget plan",
)
def project_create(request, payload: ProjectIn):
    if not is_member(request.user, payload.organization):
        raise InvalidInput(
            [
                {
                    "field": "organization",
                    "message": _("Unknown organisation, or you do not act for it."),
                }
            ]
        )
    project = services.project_create(
        actor=request.user,
        program_code=payload.program,
        organization_id=payload.organization,
        partner_ids=payload.partners,
        industry=payload.industry,
        budget_plan=[row.dict() for row in payload.budget_plan],
        deliverables=payload.deliverables,
        fields=payload.fields,
        cost_lines=[line.dict() for line in payload.cost_lines],
    )
    return Reply(201, project_dict(_projects().get(pk=project.pk)))


@router.get(
    "/projects",
    response={200: ProjectPage, **ERRORS},
    summary="Navigation projects visible to the caller",
)
def project_list(request, program: str = "", stage: str = ""):
    visible = applications_visible_to(request.user).values("pk")
    qs = _projects().filter(pk__in=visible)
    if program:
        qs = qs.filter(application__program__code=program)
    if stage:
        if stage not in Stage.values:
            raise InvalidInput(
                [{"field": "stage", "message": _("One of: %(s)s") % {"s": ", ".join(Stage.values)}}]
            )
        qs = qs.filter(stage=stage)
    return paginate(request, qs.order_by("-pk"), project_dict)


@router.get("/projects/{project_id}", response={200: ProjectOut, **ERRORS})
def project_detail(request, project_id: int):
    return project_dict(_visible_project(request, project_id))


@router.post(
    "/projects/{project_id}/partners/{organization_id}/confirm",
    response={200: ProjectOut, **ERRORS},
    summary="A partner agency confirms its participation (before submission)",
)
def partner_confirm(request, project_id: int, organization_id: int):
    project = _visible_project(request, project_id)
    services.partner_confirm(actor=request.user, project=project, organization_id=organization_id)
    return project_dict(_projects().get(pk=project_id))


@router.get(
    "/projects/{project_id}/certificate",
    response={200: None, **ERRORS},
    summary="The acceptance certificate (验收证书) as application/pdf; 404 until issued",
    openapi_extra={
        "responses": {200: {"content": {"application/pdf": {}}, "description": "the PDF"}}
    },
)
def certificate_download(request, project_id: int):
    from letters.api import letter_pdf
    from letters.models import LetterKind
    from letters.services import letter_current

    project = _visible_project(request, project_id)  # who sees the application, like its letter
    letter = letter_current(project.application, kinds=(LetterKind.ACCEPTANCE,))
    if letter is None:
        raise NotFound(_("No acceptance certificate has been issued for this project yet."))
    return letter_pdf(letter, f"{project.application.number}-acceptance-v{letter.version}.pdf")


# ---------------------------------------------------------------- experts


@router.post(
    "/projects/{project_id}/draws",
    response={201: DrawOut, **ERRORS},
    summary="Draw the programme's N experts at random, conflict-free (administrators)",
)
def draw_create(request, project_id: int, payload: DrawIn):
    if not has_role(request.user, Role.ADMIN):
        raise Forbidden(_("Only programme administrators draw experts."))
    project = _visible_project(request, project_id)
    draw = services.experts_draw(actor=request.user, project=project, seed=payload.seed)
    return Reply(201, draw_dict(draw))


@router.get(
    "/projects/{project_id}/draws",
    response={200: list[DrawOut], **ERRORS},
    summary="The recorded draws of a project: seed, candidates, skipped with reasons",
)
def draw_list(request, project_id: int):
    if not has_role(request.user, Role.ADMIN, Role.AUDITOR):
        raise Forbidden(_("Only administrators and auditors see the draws."))
    project = _visible_project(request, project_id)
    return [draw_dict(d) for d in project.draws.all()]


@router.get(
    "/reviews",
    response={200: ReviewPage, **ERRORS},
    summary="The caller's expert review assignments",
)
def review_list(request):
    qs = ExpertReview.objects.select_related(
        "project__application__program", "project__application__organization"
    ).filter(expert__user=request.user)
    return paginate(request, qs.order_by("-id"), review_dict)


@router.get("/reviews/{review_id}", response={200: ReviewOut, **ERRORS})
def review_detail(request, review_id: int):
    return review_dict(_own_review(request, review_id))


@router.post(
    "/reviews/{review_id}/declaration",
    response={200: ReviewOut, **ERRORS},
    summary="Declare no conflict of interest (then see the application), or a conflict (replaced)",
)
def review_declare(request, review_id: int, payload: DeclarationIn):
    review = services.expert_declare(
        actor=request.user,
        review=_own_review(request, review_id),
        conflict=payload.conflict,
        reason=payload.reason,
    )
    return review_dict(_own_review(request, review.pk))


@router.post(
    "/reviews/{review_id}/scores",
    response={200: ReviewOut, **ERRORS},
    summary="Score every weighted criterion (0–100) with a comment",
)
def review_scores(request, review_id: int, payload: ScoresIn):
    services.review_score(
        actor=request.user,
        review=_own_review(request, review_id),
        scores=payload.scores,
        comment=payload.comment,
    )
    return review_dict(_own_review(request, review_id))


# ---------------------------------------------------------------- ranking, selection, notice


@router.get(
    "/programs/{code}/ranking",
    response={200: RankingOut, **ERRORS},
    summary="Ranked projects next to the budget and the programme's target count",
)
def ranking(request, code: str):
    if not _decides(request):
        raise Forbidden(_("The ranking is for the city, the region and administrators."))
    return ranking_dict(_program(code))


def ranking_dict(program: Program) -> dict[str, Any]:
    """The ranking next to the budget and the target count (the API's and the page's)."""
    config = services.config_for(program)
    from finance.services.budget import budget_for

    budget = budget_for(program)
    zero = "0.00"
    rows = []
    running = None
    for p in services.ranking(program):
        amount = p.application.award_amount
        if p.rank is not None and amount is not None:
            running = (running or 0) + amount
        rows.append(
            {
                "rank": p.rank,
                "application": p.pk,
                "number": p.application.number,
                "organization_name": p.application.organization.name,
                "partners": _partners(p),
                "industry": p.industry,
                "stage": p.stage,
                "score": money(p.score),
                "experts_submitted": p.reviews.filter(status=ExpertReview.Status.SUBMITTED).count(),
                "requested_amount": money(amount),
                "award_amount": money(amount)
                if p.stage in (Stage.NOTICE, Stage.AWARDED, Stage.ACCEPTED)
                else None,
                "cumulative_requested": money(running) if p.rank is not None else None,
            }
        )
    return {
        "program": program.code,
        "year": program.year,
        "target_count": config.target_count,
        "budget": {
            "allocated": money(budget.allocated) if budget else zero,
            "committed": money(budget.committed) if budget else zero,
            "paid": money(budget.paid) if budget else zero,
            "available": money(budget.available) if budget else zero,
        },
        "results": rows,
    }


@router.post(
    "/programs/{code}/selection",
    response={201: NoticeOut, **ERRORS},
    summary="The city's decision on the ranked list: the selected go to public notice",
)
def selection(request, code: str, payload: SelectionIn):
    notice = services.selection_decide(
        actor=request.user,
        program=_program(code),
        selected=[s.dict() for s in payload.selected],
        comment=payload.comment,
    )
    return Reply(201, notice_dict(notice))


@router.get(
    "/notices", auth=None, response={200: NoticePage, **ERRORS}, summary="Public notices (no login)"
)
def notice_list(request):
    return paginate(request, Notice.objects.select_related("program").order_by("-id"), notice_dict)


def _notice(notice_id: int) -> Notice:
    notice = Notice.objects.select_related("program").filter(pk=notice_id).first()
    if notice is None:
        raise NotFound(_("No such public notice."))
    return notice


@router.get(
    "/notices/{notice_id}",
    auth=None,
    response={200: NoticeOut, **ERRORS},
    summary="A public notice (no login)",
)
def notice_detail(request, notice_id: int):
    return notice_dict(_notice(notice_id))


@router.post(
    "/notices/{notice_id}/objections",
    auth=None,
    response={201: ObjectionFiledOut, **ERRORS},
    summary="File an objection while the notice runs (no login)",
)
def objection_create(request, notice_id: int, payload: ObjectionIn):
    objection = services.objection_file(
        notice=_notice(notice_id),
        name=payload.name,
        contact=payload.contact,
        text=payload.text,
        project_id=payload.project,
    )
    return Reply(
        201,
        {"id": objection.pk, "status": objection.status, "filed_at": local(objection.filed_at)},
    )


@router.get(
    "/notices/{notice_id}/objections",
    response={200: list[ObjectionOut], **ERRORS},
    summary="Objections to a notice (city, region, administrators)",
)
def objection_list(request, notice_id: int):
    if not _decides(request):
        raise Forbidden(_("Objections are handled by the city."))
    notice = _notice(notice_id)
    return [objection_dict(o) for o in notice.objections.select_related("notice")]


@router.post(
    "/objections/{objection_id}/resolution",
    response={200: ObjectionOut, **ERRORS},
    summary="Resolve an objection: dismissed, or upheld (the project leaves the notice)",
)
def objection_resolve(request, objection_id: int, payload: ResolutionIn):
    objection = Objection.objects.filter(pk=objection_id).first()
    if objection is None:
        raise NotFound(_("No such objection."))
    services.objection_resolve(
        actor=request.user,
        objection=objection,
        outcome=payload.outcome,
        resolution=payload.resolution,
    )
    return objection_dict(Objection.objects.select_related("notice").get(pk=objection_id))


@router.post(
    "/notices/{notice_id}/sign-off",
    response={200: NoticeOut, **ERRORS},
    summary="Region sign-off after the notice period: awards final, contracts with milestones",
)
def notice_sign_off(request, notice_id: int):
    with transaction.atomic():
        signed = services.notice_sign_off(actor=request.user, notice=_notice(notice_id))
        lifecycle.awards_approved(
            applications=signed.awards,
            actor=request.user,
            role=Role.REVIEWER,
            level=Level.REGION,
            data={"notice": signed.notice.number},
        )
    return notice_dict(signed.notice)


# ---------------------------------------------------------------- milestones


def _visible_milestone(request, milestone_id: int) -> Milestone:
    milestone = (
        Milestone.objects.select_related("contract__project", "tranche")
        .filter(pk=milestone_id)
        .first()
    )
    if milestone is None:
        raise NotFound(_("No such milestone."))
    _visible_project(request, milestone.contract.project_id)
    return milestone


@router.post(
    "/milestones/{milestone_id}/submit",
    response={200: MilestoneOut, **ERRORS},
    summary="The applicant reports on a milestone",
)
def milestone_submit(request, milestone_id: int, payload: MilestoneReportIn):
    milestone = services.milestone_submit(
        actor=request.user,
        milestone=_visible_milestone(request, milestone_id),
        report=payload.report,
    )
    return milestone_dict(_visible_milestone(request, milestone.pk))


@router.post(
    "/milestones/{milestone_id}/decisions",
    response={200: MilestoneOut, **ERRORS},
    summary="A reviewer approves (at the last level: accepted, tranche committed) or returns",
)
def milestone_decide(request, milestone_id: int, payload: MilestoneDecisionIn):
    services.milestone_decide(
        actor=request.user,
        milestone=_visible_milestone(request, milestone_id),
        decision=payload.decision,
        comment=payload.comment,
    )
    return milestone_dict(_visible_milestone(request, milestone_id))


# ---------------------------------------------------------------- indicator


@router.get(
    "/indicators/industry-navigation-projects",
    response={200: IndicatorOut, **ERRORS},
    summary="Indicator 6: accepted industry navigation projects up to the end of a year",
)
def indicator(request, year: int | None = None):
    year = year or timezone.localdate().year
    if not 2000 <= year <= 2100:
        raise InvalidInput([{"field": "year", "message": _("A year from 2000 to 2100.")}])
    return {
        "indicator": "industry_navigation_projects",
        "year": year,
        "value": indicators.industry_navigation_projects(year),
        "accepted_in_year": indicators.accepted_in(year),
        "target": indicators.target(year),
    }
