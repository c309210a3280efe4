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
from experts.models import ExpertDraw, ExpertReview
from grants.errors import Forbidden, InvalidInput, NotFound
from grants.models import Level, Role
from grants.presenters import local
from grants.selectors import (
    applications_visible_to,
    has_role,
    is_member,
)
from milestones.models import Milestone
from navigation import indicators
from navigation.models import Stage
from navigation.presenters import (
    draw_dict,
    milestone_dict,
    notice_dict,
    objection_dict,
    project_dict,
    ranking_dict,
    review_dict,
)
from navigation.selectors import (
    decides,
    navigation_notices,
    navigation_program,
    notice_entries,
    own_review,
    projects,
    visible_project,
)
from navigation.services import award, joint
from navigation.services import selection as selecting
from notices.models import Notice, Objection
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
    project = joint.project_create(
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
    return Reply(201, project_dict(projects().get(pk=project.pk)))


@router.get(
    "/projects",
    response={200: ProjectPage, **ERRORS},
    summary="Navigation projects visible to the caller",
)
def project_list(request, program: str = "", stage: str = ""):
    visible = applications_visible_to(request.user).values("pk")
    qs = projects().filter(pk__in=visible)
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
    return project_dict(visible_project(request.user, project_id))


@router.post(
    "/projects/{project_id}/partners/{organization_id}/confirm",
    response={200: ProjectOut, **ERRORS},
    summary="A partner agency confirms its participation (before submission)",
)
def partner_confirm(request, project_id: int, organization_id: int):
    project = visible_project(request.user, project_id)
    joint.partner_confirm(actor=request.user, project=project, organization_id=organization_id)
    return project_dict(projects().get(pk=project_id))


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

    project = visible_project(request.user, project_id)  # who sees the application, like its letter
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
    project = visible_project(request.user, project_id)
    draw = selecting.experts_draw(actor=request.user, project=project, seed=payload.seed)
    return Reply(201, draw_dict(draw))


@router.get(
    "/projects/{project_id}/draws",
    response={200: list[DrawOut], **ERRORS},
    summary="The recorded draws of a project: seed, candidates, skipped with reasons",
)
def draw_list(request, project_id: int):
    if not has_role(request.user, Role.ADMIN, Role.AUDITOR):
        raise Forbidden(_("Only administrators and auditors see the draws."))
    project = visible_project(request.user, project_id)
    return [draw_dict(d) for d in ExpertDraw.objects.filter(project_id=project.pk)]


@router.get(
    "/reviews",
    response={200: ReviewPage, **ERRORS},
    summary="The caller's expert review assignments",
)
def review_list(request):
    qs = (
        ExpertReview.objects.select_related(
            "project__program", "project__organization", "project__navigation"
        )
        .prefetch_related(notice_entries("project__notice_entries"))
        .filter(expert__user=request.user, project__navigation__isnull=False)
    )
    return paginate(request, qs.order_by("-id"), review_dict)


@router.get("/reviews/{review_id}", response={200: ReviewOut, **ERRORS})
def review_detail(request, review_id: int):
    return review_dict(own_review(request.user, review_id))


@router.post(
    "/reviews/{review_id}/declaration",
    response={200: ReviewOut, **ERRORS},
    summary="Declare no conflict of interest (then see the application), or a conflict (replaced)",
)
def review_declare(request, review_id: int, payload: DeclarationIn):
    review = selecting.expert_declare(
        actor=request.user,
        review=own_review(request.user, review_id),
        conflict=payload.conflict,
        reason=payload.reason,
    )
    return review_dict(own_review(request.user, review.pk))


@router.post(
    "/reviews/{review_id}/scores",
    response={200: ReviewOut, **ERRORS},
    summary="Score every weighted criterion (0–100) with a comment",
)
def review_scores(request, review_id: int, payload: ScoresIn):
    selecting.review_score(
        actor=request.user,
        review=own_review(request.user, review_id),
        scores=payload.scores,
        comment=payload.comment,
    )
    return review_dict(own_review(request.user, review_id))


# ---------------------------------------------------------------- ranking, selection, notice


@router.get(
    "/programs/{code}/ranking",
    response={200: RankingOut, **ERRORS},
    summary="Ranked projects next to the budget and the programme's target count",
)
def ranking(request, code: str):
    if not decides(request.user):
        raise Forbidden(_("The ranking is for the city, the region and administrators."))
    return ranking_dict(navigation_program(code))


@router.post(
    "/programs/{code}/selection",
    response={201: NoticeOut, **ERRORS},
    summary="The city's decision on the ranked list: the selected go to public notice",
)
def selection(request, code: str, payload: SelectionIn):
    notice = selecting.selection_decide(
        actor=request.user,
        program=navigation_program(code),
        selected=[s.dict() for s in payload.selected],
        comment=payload.comment,
    )
    return Reply(201, notice_dict(notice))


@router.get(
    "/notices", auth=None, response={200: NoticePage, **ERRORS}, summary="Public notices (no login)"
)
def notice_list(request):
    return paginate(request, navigation_notices().order_by("-id"), notice_dict)


def _notice(notice_id: int) -> Notice:
    notice = navigation_notices().filter(pk=notice_id).first()
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
    objection = selecting.objection_file(
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
    if not decides(request.user):
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
    selecting.objection_resolve(
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
        signed = award.notice_sign_off(actor=request.user, notice=_notice(notice_id))
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
    visible_project(request.user, milestone.contract.project_id)
    return milestone


@router.post(
    "/milestones/{milestone_id}/submit",
    response={200: MilestoneOut, **ERRORS},
    summary="The applicant reports on a milestone",
)
def milestone_submit(request, milestone_id: int, payload: MilestoneReportIn):
    milestone = award.milestone_submit(
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
    award.milestone_decide(
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
