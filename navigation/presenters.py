"""What the navigation API returns and its pages show: one dictionary per record.

The API's schemas validate these dictionaries; the pages render them. Neither builds its
own, so a page and the API never disagree about a project, a notice or a milestone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from experts.models import Expert, ExpertDraw, ExpertReview
from finance.services.budget import budget_for
from grants.models import Program
from grants.presenters import local, money
from milestones.models import Milestone
from navigation.models import NavigationProject, Stage
from navigation.selectors import config_for, milestone_levels
from navigation.services.selection import ranking
from notices.models import Notice, Objection


def partner_names(project: NavigationProject) -> list[str]:
    return [p.organization.name for p in project.partners.all()]


def milestone_dict(m: Milestone, today: dt.date | None = None) -> dict[str, Any]:
    today = today or timezone.localdate()
    levels = milestone_levels(m.contract.project.program)
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
    contract = getattr(app, "contract", None)
    notice = project.notice
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
        "notice": notice.number if notice is not None else None,
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
    app = review.project
    project = app.navigation
    config = config_for(app.program)
    declared = review.status in (ExpertReview.Status.DECLARED, ExpertReview.Status.SUBMITTED)
    return {
        "id": review.pk,
        "project": app.pk,
        "number": app.number,
        "industry": project.industry,
        "status": review.status,
        "declared": declared,
        "application": project_dict(project) | {"fields": app.fields} if declared else None,
        "criteria": [
            {"code": c["code"], "label": config.criterion_label(c), "weight": c["weight"]}
            for c in config.criteria
        ],
        "scores": review.scores,
        "total": money(review.total),
        "comment": review.comment,
    }


def notice_projects(notice: Notice):
    """The projects a notice lists (withdrawn ones too), best score first."""
    return (
        NavigationProject.objects.filter(application__notice_entries__notice=notice)
        .select_related("application__organization")
        .prefetch_related("partners__organization")
        .order_by("-score", "pk")
    )


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
                "partners": partner_names(p),
                "industry": p.industry,
                "score": money(p.score),
                "award_amount": money(p.application.award_amount),
                "stage": p.stage,
            }
            for p in notice_projects(notice)
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


def ranking_dict(program: Program) -> dict[str, Any]:
    """The ranking next to the budget and the target count (the API's and the page's)."""
    config = config_for(program)
    budget = budget_for(program)
    zero = "0.00"
    rows = []
    running = None
    for p in ranking(program):
        amount = p.application.award_amount
        if p.rank is not None and amount is not None:
            running = (running or 0) + amount
        rows.append(
            {
                "rank": p.rank,
                "application": p.pk,
                "number": p.application.number,
                "organization_name": p.application.organization.name,
                "partners": partner_names(p),
                "industry": p.industry,
                "stage": p.stage,
                "score": money(p.score),
                "experts_submitted": ExpertReview.objects.filter(
                    project_id=p.pk, status=ExpertReview.Status.SUBMITTED
                ).count(),
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
