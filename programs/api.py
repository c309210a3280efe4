"""API v1: programme definitions (export, clone, drafts and their approval) and the steps a
programme switches on by configuration (expert review, ranking, selection, public notice,
milestones). ``POST /api/v1/programs`` (create from a definition) lives beside ``GET
/api/v1/programs`` in ``grants.api`` (one path, one router).

Same conventions as the rest of the API: problem+json errors (422 ``errors[].field`` are
JSON paths into the definition), money as two-place decimal strings; the public notice and
its objection form need no login.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja import Status as Reply
from pydantic import Field

from config.apikit import ERRORS
from experts.models import ExpertDraw, ExpertReview
from grants.errors import Forbidden, NotFound
from grants.models import Level, Program, Role
from grants.presenters import local, money
from grants.selectors import has_role, sees_everything, visible_application
from milestones.models import Milestone
from notices.models import Objection
from programs import definition, steps, versions
from programs.models import ProgramVersion, StepProgress
from programs.schema import DEFINITION_SCHEMA
from workflows import lifecycle

router = Router(tags=["programme definitions"])

DEFINITION_DOC = {
    "description": "A programme definition (fundflow.program/1); its JSON Schema is "
    "GET /api/v1/program-schema",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ProgramDefinition"}}},
}


def definition_body() -> dict[str, Any]:
    """The OpenAPI request body of an operation that takes a definition."""
    return {"requestBody": {"required": True, **DEFINITION_DOC}}


def definition_answer(status: int) -> dict[str, Any]:
    return {"responses": {status: DEFINITION_DOC}}


def _program(code: str) -> Program:
    program = Program.objects.filter(code=code).first()
    if program is None:
        raise NotFound(_("Unknown programme “%(p)s”.") % {"p": code})
    return program


def _reader(request: Any) -> None:
    if not has_role(request.user, Role.ADMIN, Role.FINANCE, Role.AUDITOR):
        raise Forbidden(_("Administrators, finance and auditors read programme definitions."))


# ---------------------------------------------------------------- definitions


@router.get(
    "/program-schema",
    auth=None,
    response={200: dict[str, Any], **ERRORS},
    summary="The JSON Schema of a programme definition (fundflow.program/1)",
)
def program_schema(request):
    return DEFINITION_SCHEMA


@router.get(
    "/programs/{code}/definition",
    response={200: dict[str, Any], **ERRORS},
    summary="The whole programme as one document, fundflow.program/1 (administrators, finance, "
    "auditors); ?version=N: the version an earlier application was submitted under",
    openapi_extra=definition_answer(200),
)
def definition_get(request, code: str, version: int | None = None):
    _reader(request)
    program = _program(code)
    if version is None:
        return definition.definition_export(program)
    found = ProgramVersion.objects.filter(program=program, number=version).first()
    if found is None:
        raise NotFound(_("This programme has no version %(n)d.") % {"n": version})
    return found.document


class CloneIn(Schema):
    code: str = Field(description="the new programme's code")
    year: int
    opens: str = Field(description="ISO 8601 with offset")
    closes: str = Field(description="ISO 8601 with offset")


@router.post(
    "/programs/{code}/clone",
    response={201: dict[str, Any], **ERRORS},
    summary="Next year's programme in one call: the same definition with a new code, year and "
    "window; budgets are not copied (administrators)",
    openapi_extra=definition_answer(201),
)
def definition_clone(request, code: str, payload: CloneIn):
    definition.require_admin(request.user)
    program = versions.program_clone(
        actor=request.user,
        program=_program(code),
        code=payload.code,
        year=payload.year,
        opens=payload.opens,
        closes=payload.closes,
    )
    return Reply(201, definition.definition_export(program))


class VersionOut(Schema):
    number: int
    state: str
    state_label: str
    sha256: str
    based_on: int | None
    note: str
    created_by: str | None
    created_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    activated_at: dt.datetime | None
    reason: str
    changes: list[dict[str, Any]] = Field(
        description="For a draft: each JSON path it changes, with the value in force and its own"
    )


def version_dict(version: ProgramVersion) -> dict[str, Any]:
    changes = (
        versions.draft_diff(version)["paths"] if version.state == ProgramVersion.State.DRAFT else []
    )
    return {
        "number": version.number,
        "state": version.state,
        "state_label": str(version.get_state_display()),
        "sha256": version.sha256,
        "based_on": version.based_on,
        "note": version.note,
        "created_by": version.created_by.username if version.created_by else None,
        "created_at": local(version.created_at),
        "decided_by": version.decided_by.username if version.decided_by else None,
        "decided_at": local(version.decided_at),
        "activated_at": local(version.activated_at),
        "reason": version.reason,
        "changes": changes,
    }


@router.get(
    "/programs/{code}/versions",
    response={200: list[VersionOut], **ERRORS},
    summary="The programme's definition versions: in force, superseded, drafts (administrators, "
    "finance, auditors)",
)
def version_list(request, code: str):
    _reader(request)
    program = _program(code)
    return [
        version_dict(v)
        for v in ProgramVersion.objects.filter(program=program).select_related(
            "created_by", "decided_by"
        )
    ]


class DraftIn(Schema):
    definition: dict[str, Any]
    note: str = ""


@router.post(
    "/programs/{code}/drafts",
    response={201: VersionOut, **ERRORS},
    summary="A changed definition (administrators): applied at once before the first "
    "application; afterwards a draft that a second administrator approves",
)
def draft_create(request, code: str, payload: DraftIn):
    version = versions.draft_propose(
        actor=request.user, program=_program(code), document=payload.definition, note=payload.note
    )
    return Reply(201, version_dict(version))


def _draft(code: str, number: int) -> ProgramVersion:
    found = (
        ProgramVersion.objects.filter(program__code=code, number=number)
        .select_related("program")
        .first()
    )
    if found is None:
        raise NotFound(_("No such version."))
    return found


@router.post(
    "/programs/{code}/drafts/{number}/approve",
    response={200: VersionOut, **ERRORS},
    summary="A second administrator approves a draft after reading its changes: it is in force",
)
def draft_approve(request, code: str, number: int):
    return version_dict(versions.draft_approve(actor=request.user, version=_draft(code, number)))


class RejectIn(Schema):
    reason: str


@router.post(
    "/programs/{code}/drafts/{number}/reject",
    response={200: VersionOut, **ERRORS},
    summary="An administrator rejects a draft, with the reason",
)
def draft_reject(request, code: str, number: int, payload: RejectIn):
    return version_dict(
        versions.draft_reject(
            actor=request.user, version=_draft(code, number), reason=payload.reason
        )
    )


# ---------------------------------------------------------------- steps: experts


def _steps_application(request, application_id: int):
    app = visible_application(request.user, application_id)
    if not StepProgress.objects.filter(application=app).exists():
        raise NotFound(_("This application is not in its programme's steps."))
    return app


class DrawIn(Schema):
    seed: str | None = None


class DrawOut(Schema):
    id: int
    application: int
    seed: str
    wanted: int
    candidates: list[int]
    drawn: list[int]
    skipped: list[dict[str, Any]]
    replaces: int | None
    created_at: dt.datetime


def draw_dict(draw: ExpertDraw) -> dict[str, Any]:
    return {
        "id": draw.pk,
        "application": draw.project_id,
        "seed": draw.seed,
        "wanted": draw.wanted,
        "candidates": draw.candidates,
        "drawn": draw.drawn,
        "skipped": draw.skipped,
        "replaces": draw.replaces_id,
        "created_at": local(draw.created_at),
    }


@router.post(
    "/steps/applications/{application_id}/draws",
    response={201: DrawOut, **ERRORS},
    tags=["programme steps"],
    summary="Draw the programme's experts at random, conflict-free, with a recorded seed "
    "(administrators)",
)
def draw_create(request, application_id: int, payload: DrawIn):
    app = _steps_application(request, application_id)
    draw = steps.experts_draw(actor=request.user, application=app, seed=payload.seed)
    return Reply(201, draw_dict(draw))


@router.get(
    "/steps/applications/{application_id}/draws",
    response={200: list[DrawOut], **ERRORS},
    tags=["programme steps"],
    summary="The recorded draws: seed, candidates, skipped with reasons (administrators, auditors)",
)
def draw_list(request, application_id: int):
    if not has_role(request.user, Role.ADMIN, Role.AUDITOR):
        raise Forbidden(_("Only administrators and auditors see the draws."))
    app = _steps_application(request, application_id)
    return [draw_dict(d) for d in ExpertDraw.objects.filter(project=app)]


class ReviewOut(Schema):
    id: int
    application: int
    number: str
    program: str
    status: str
    declared: bool
    fields: dict[str, Any] | None = Field(
        description="The application's fields, shown only after the expert declared no conflict"
    )
    organization_name: str | None
    criteria: list[dict[str, Any]]
    scores: dict[str, str]
    total: str | None
    comment: str


def review_dict(review: ExpertReview) -> dict[str, Any]:
    app = review.project
    settings = app.program.step_settings("expert_review") or {}
    declared = review.status in (ExpertReview.Status.DECLARED, ExpertReview.Status.SUBMITTED)
    return {
        "id": review.pk,
        "application": app.pk,
        "number": app.number,
        "program": app.program.code,
        "status": review.status,
        "declared": declared,
        "fields": app.fields if declared else None,
        "organization_name": app.organization.name,
        "criteria": settings.get("criteria", []),
        "scores": review.scores,
        "total": money(review.total),
        "comment": review.comment,
    }


def _own_review(request, review_id: int) -> ExpertReview:
    review = (
        ExpertReview.objects.select_related("project__program", "project__organization", "expert")
        .filter(pk=review_id, expert__user=request.user, project__step_progress__isnull=False)
        .first()
    )
    if review is None:
        raise NotFound(_("No such review assignment."))
    return review


@router.get(
    "/steps/reviews",
    response={200: list[ReviewOut], **ERRORS},
    tags=["programme steps"],
    summary="The caller's expert review assignments in programmes with steps",
)
def review_list(request):
    reviews = ExpertReview.objects.select_related(
        "project__program", "project__organization"
    ).filter(expert__user=request.user, project__step_progress__isnull=False)
    return [review_dict(r) for r in reviews.order_by("-id")]


class DeclarationIn(Schema):
    conflict: bool
    reason: str = ""


@router.post(
    "/steps/reviews/{review_id}/declaration",
    response={200: ReviewOut, **ERRORS},
    tags=["programme steps"],
    summary="Declare no conflict of interest (then see the application), or a conflict (replaced)",
)
def review_declare(request, review_id: int, payload: DeclarationIn):
    review = steps.expert_declare(
        actor=request.user,
        review=_own_review(request, review_id),
        conflict=payload.conflict,
        reason=payload.reason,
    )
    return review_dict(_own_review(request, review.pk))


class ScoresIn(Schema):
    scores: dict[str, Any]
    comment: str = ""


@router.post(
    "/steps/reviews/{review_id}/scores",
    response={200: ReviewOut, **ERRORS},
    tags=["programme steps"],
    summary="Score every weighted criterion (0–100) with a comment",
)
def review_scores(request, review_id: int, payload: ScoresIn):
    steps.review_score(
        actor=request.user,
        review=_own_review(request, review_id),
        scores=payload.scores,
        comment=payload.comment,
    )
    return review_dict(_own_review(request, review_id))


# ---------------------------------------------------------------- ranking and selection


class RankedOut(Schema):
    rank: int
    application: int
    number: str
    organization_name: str
    stage: str
    stage_label: str
    merit: str | None = Field(description="The merit under the programme's ranking (择优)")
    expert_score: str | None
    award_amount: str | None


class ProgramRankingOut(Schema):
    program: str
    ranking: dict[str, Any]
    applications: list[RankedOut]


def _decides(user: Any) -> bool:
    return sees_everything(user) or steps.may(user, (Level.CITY, Level.REGION))


@router.get(
    "/programs/{code}/ranking",
    response={200: ProgramRankingOut, **ERRORS},
    tags=["programme steps"],
    summary="The programme's applications past the chain, ranked on merit (择优), never by amount",
)
def ranking(request, code: str):
    if not _decides(request.user):
        raise Forbidden(_("The ranking is for the city, the region, finance and auditors."))
    program = _program(code)
    rows = []
    for row in steps.ranking(program):
        progress = row.application.step_progress  # reverse one-to-one of programs.StepProgress
        rows.append(
            {
                "rank": row.rank,
                "application": row.application.pk,
                "number": row.application.number,
                "organization_name": row.application.organization.name,
                "stage": progress.stage,
                "stage_label": str(progress.get_stage_display()),
                "merit": None if row.merit is None else f"{row.merit.normalize():f}",
                "expert_score": money(progress.score),
                "award_amount": money(row.application.award_amount),
            }
        )
    return {"program": program.code, "ranking": program.ranking or {}, "applications": rows}


class SelectedIn(Schema):
    application: int
    award_amount: str | None = None


class SelectionIn(Schema):
    selected: list[SelectedIn] | None = Field(
        default=None, description="Omitted: the best-ranked, up to the programme's target count"
    )
    comment: str = ""


class SelectionOut(Schema):
    notice: int | None
    notice_number: str | None
    awarded: list[int]


@router.post(
    "/programs/{code}/selection",
    response={200: SelectionOut, **ERRORS},
    tags=["programme steps"],
    summary="The city selects on the ranking: published as a public notice, or (without the "
    "notice step) awarded at once",
)
def selection(request, code: str, payload: SelectionIn):
    program = _program(code)
    selected = None if payload.selected is None else [s.dict() for s in payload.selected]
    with transaction.atomic():
        result = steps.selection_decide(
            actor=request.user, program=program, selected=selected, comment=payload.comment
        )
        lifecycle.awards_approved(
            applications=result.awards, actor=request.user, role=Role.REVIEWER, level=Level.CITY
        )
    return {
        "notice": result.notice.pk if result.notice else None,
        "notice_number": result.notice.number if result.notice else None,
        "awarded": [a.pk for a in result.awards],
    }


# ---------------------------------------------------------------- public notice


class NoticeEntryOut(Schema):
    application: int
    number: str
    organization_name: str
    award_amount: str | None
    withdrawn: bool


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
    applications: list[NoticeEntryOut]
    objections_open: int


def notice_dict(notice: Any) -> dict[str, Any]:
    entries = notice.entries.select_related("application__organization").order_by("application_id")
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
        "applications": [
            {
                "application": e.application_id,
                "number": e.application.number,
                "organization_name": e.application.organization.name,
                "award_amount": money(e.application.award_amount),
                "withdrawn": e.withdrawn,
            }
            for e in entries
        ],
        "objections_open": notice.objections.filter(status=Objection.Status.OPEN).count(),
    }


@router.get(
    "/steps/notices/{notice_id}",
    auth=None,
    response={200: NoticeOut, **ERRORS},
    tags=["programme steps"],
    summary="A public notice of proposed awards (拟奖励名单公示), no login",
)
def notice_detail(request, notice_id: int):
    return notice_dict(steps.steps_notice(notice_id))


class ObjectionIn(Schema):
    name: str
    contact: str
    text: str
    application: int | None = None


class ObjectionFiledOut(Schema):
    id: int
    status: str
    filed_at: dt.datetime


@router.post(
    "/steps/notices/{notice_id}/objections",
    auth=None,
    response={201: ObjectionFiledOut, **ERRORS},
    tags=["programme steps"],
    summary="File an objection while the notice runs (no login)",
)
def objection_create(request, notice_id: int, payload: ObjectionIn):
    objection = steps.objection_file(
        notice=steps.steps_notice(notice_id),
        name=payload.name,
        contact=payload.contact,
        text=payload.text,
        application_id=payload.application,
    )
    return Reply(
        201, {"id": objection.pk, "status": objection.status, "filed_at": local(objection.filed_at)}
    )


class ObjectionOut(Schema):
    id: int
    notice: str
    application: int | None
    name: str
    contact: str
    text: str
    filed_at: dt.datetime
    status: str
    resolution: str
    resolved_at: dt.datetime | None


def objection_dict(o: Objection) -> dict[str, Any]:
    return {
        "id": o.pk,
        "notice": o.notice.number,
        "application": o.project_id,
        "name": o.name,
        "contact": o.contact,
        "text": o.text,
        "filed_at": local(o.filed_at),
        "status": o.status,
        "resolution": o.resolution,
        "resolved_at": local(o.resolved_at),
    }


@router.get(
    "/steps/notices/{notice_id}/objections",
    response={200: list[ObjectionOut], **ERRORS},
    tags=["programme steps"],
    summary="Objections to a notice, with the objectors' contacts (city, region, administrators)",
)
def objection_list(request, notice_id: int):
    if not _decides(request.user):
        raise Forbidden(_("Objections are handled by the city."))
    notice = steps.steps_notice(notice_id)
    return [objection_dict(o) for o in notice.objections.select_related("notice")]


class ResolutionIn(Schema):
    outcome: str = Field(description="dismissed or upheld")
    resolution: str


@router.post(
    "/steps/objections/{objection_id}/resolution",
    response={200: ObjectionOut, **ERRORS},
    tags=["programme steps"],
    summary="The city resolves an objection: dismissed, or upheld (the application is withdrawn)",
)
def objection_resolve(request, objection_id: int, payload: ResolutionIn):
    objection = Objection.objects.select_related("notice").filter(pk=objection_id).first()
    if objection is None:
        raise NotFound(_("No such objection."))
    steps.steps_notice(objection.notice_id)
    steps.objection_resolve(
        actor=request.user,
        objection=objection,
        outcome=payload.outcome,
        resolution=payload.resolution,
    )
    return objection_dict(Objection.objects.select_related("notice").get(pk=objection_id))


class SignOffOut(NoticeOut):
    awarded: list[int]
    queued: list[int] = Field(description="Awards waiting in the merit queue for budget")


@router.post(
    "/steps/notices/{notice_id}/sign-off",
    response={200: SignOffOut, **ERRORS},
    tags=["programme steps"],
    summary="The region signs off once the notice closed clean: the awards are approved and "
    "their letters issued",
)
def notice_sign_off(request, notice_id: int):
    with transaction.atomic():
        signed = steps.notice_sign_off(actor=request.user, notice=steps.steps_notice(notice_id))
        lifecycle.awards_approved(
            applications=signed.awards,
            actor=request.user,
            role=Role.REVIEWER,
            level=Level.REGION,
            data={"notice": signed.notice.number},
        )
    return {
        **notice_dict(signed.notice),
        "awarded": [a.pk for a in signed.awards],
        "queued": [a.pk for a in signed.queued],
    }


# ---------------------------------------------------------------- milestones


class MilestoneOut(Schema):
    id: int
    position: int
    code: str
    label: str
    due_on: dt.date
    share: int
    amount: str
    status: str
    accepted_at: dt.datetime | None


def milestone_dict(m: Milestone) -> dict[str, Any]:
    return {
        "id": m.pk,
        "position": m.position,
        "code": m.code,
        "label": m.display_label,
        "due_on": m.due_on,
        "share": m.share,
        "amount": f"{m.tranche.amount:.2f}",
        "status": m.status,
        "accepted_at": local(m.accepted_at),
    }


@router.get(
    "/steps/applications/{application_id}/milestones",
    response={200: list[MilestoneOut], **ERRORS},
    tags=["programme steps"],
    summary="The milestones of an award with milestones switched on",
)
def milestone_list(request, application_id: int):
    app = visible_application(request.user, application_id)
    return [
        milestone_dict(m)
        for m in Milestone.objects.filter(contract__project=app)
        .select_related("tranche")
        .order_by("position")
    ]


def _milestone(request, milestone_id: int) -> Milestone:
    milestone = (
        Milestone.objects.select_related("contract__project__program", "tranche")
        .filter(pk=milestone_id)
        .first()
    )
    if milestone is None or milestone.contract.project.program.step_settings("milestones") is None:
        raise NotFound(_("No such milestone."))
    visible_application(request.user, milestone.contract.project_id)
    return milestone


class ReportIn(Schema):
    report: str


@router.post(
    "/steps/milestones/{milestone_id}/report",
    response={200: MilestoneOut, **ERRORS},
    tags=["programme steps"],
    summary="The applicant reports on a milestone",
)
def milestone_report(request, milestone_id: int, payload: ReportIn):
    milestone = steps.milestone_submit(
        actor=request.user, milestone=_milestone(request, milestone_id), report=payload.report
    )
    return milestone_dict(Milestone.objects.select_related("tranche").get(pk=milestone.pk))


class MilestoneDecisionIn(Schema):
    decision: str = Field(description="approve or return")
    comment: str = ""


@router.post(
    "/steps/milestones/{milestone_id}/decisions",
    response={200: MilestoneOut, **ERRORS},
    tags=["programme steps"],
    summary="A reviewer of the milestone's level decides; the last accepted is the acceptance",
)
def milestone_decision(request, milestone_id: int, payload: MilestoneDecisionIn):
    milestone = steps.milestone_decide(
        actor=request.user,
        milestone=_milestone(request, milestone_id),
        decision=payload.decision,
        comment=payload.comment,
    )
    return milestone_dict(Milestone.objects.select_related("tranche").get(pk=milestone.pk))
