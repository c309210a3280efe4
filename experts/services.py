"""The expert pool and the expert review of an application: draw, declaration, scores.

A step any programme may use. Nothing here reads a programme kind's records: the
caller passes what the step needs (the field of expertise to match, the organisations
that conflict with the reason each gives, how many experts, the weighted criteria) and
keeps its own rules (who may draw, when scoring is open, what a finished scoring means).

One function per action, keyword-only; guard first, then change; every change writes its
audit row in the same transaction. The audit actions keep the ``navigation.*`` names under
which the existing audit chain recorded them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from experts.draw import draw_experts
from experts.models import INDUSTRIES, Expert, ExpertConflict, ExpertDraw, ExpertReview
from grants.audit import audit_record
from grants.errors import Conflict, Forbidden, InvalidInput, NotFound
from grants.models import Application, Membership, Organization, Role, RoleAssignment
from grants.notifications import notify
from grants.selectors import has_role
from grants.services import clean_text

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def _require_admin(actor, message: str) -> None:
    if not has_role(actor, Role.ADMIN):
        raise Forbidden(message)


def _lock_application(application_id: int) -> None:
    """The application row first, as every action on an application (one lock order)."""
    Application.objects.select_for_update().filter(pk=application_id).exists()


# ---------------------------------------------------------------- the pool


def expert_register(
    *, actor, user, name: str, industries: list[str], employer: Organization | None = None
) -> Expert:
    """Add a user to the expert pool: the expert role and fields of expertise."""
    _require_admin(actor, _("Only programme administrators keep the expert pool."))
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
        _require_admin(actor, _("Only the expert or an administrator declares a conflict."))
    reason = clean_text(reason, "reason", max_length=200)
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


def pool(topic: str, *, exclude: Collection[int] = ()) -> list[Expert]:
    """Active experts (active users with the expert role) whose fields include ``topic``."""
    experts = Expert.objects.filter(
        is_active=True, user__is_active=True, user__roles__role=Role.EXPERT
    ).distinct()
    return [e for e in experts if topic in (e.industries or []) and e.pk not in exclude]


def conflicts_for(
    application: Application, experts: list[Expert], organizations: Mapping[int, str]
) -> dict[str, str]:
    """Why each expert may not review ``application`` (absent when there is no conflict).

    ``organizations``: organisation id → the reason an expert employed by it or acting for it
    is passed over, in the order asked (the applicant first). Then come the conflicts the expert
    declared in the pool with one of them, then one declared on this application."""
    orgs = set(organizations)
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
            project=application, status=ExpertReview.Status.CONFLICT
        ).values_list("expert_id", "conflict_reason")
    )
    out: dict[str, str] = {}
    for expert in experts:
        acts_for = memberships.get(expert.user_id, set())
        reason = next(
            (
                why
                for org_id, why in organizations.items()
                if expert.employer_id == org_id or org_id in acts_for
            ),
            "",
        )
        if not reason:
            found = [r for (e, o), r in declared.items() if e == expert.pk]
            if found:
                reason = f"declared: {found[0]}"
            elif expert.pk in declined:
                reason = f"declared for this application: {declined[expert.pk]}"
        if reason:
            out[str(expert.pk)] = reason
    return out


# ---------------------------------------------------------------- the draw


def experts_draw(
    *,
    actor,
    application: Application,
    topic: str,
    organizations: Mapping[int, str],
    wanted: int,
    seed: str,
    replaces: ExpertReview | None = None,
) -> ExpertDraw:
    """Draw ``wanted`` experts of ``topic`` at random, skipping conflicts (recorded with their
    reasons) and experts already on the application; reproducible from the recorded seed.

    The caller decides who may draw and when (in its transaction, if it holds one). The
    application's row is locked first; the drawn experts are told (in-app, e-mail after
    commit)."""
    with transaction.atomic():
        _lock_application(application.pk)
        taken = set(
            ExpertReview.objects.filter(project=application).values_list("expert_id", flat=True)
        )
        experts = pool(topic, exclude=taken)
        conflicts = conflicts_for(application, experts, organizations)
        candidates = [e.pk for e in experts]
        result = draw_experts(candidates, conflicts, wanted, seed)
        if len(result.drawn) < wanted:
            raise Conflict(
                _(
                    "Only %(have)d expert(s) in %(industry)s are free of conflicts; %(want)d are needed. "
                    "Add experts to the pool."
                )
                % {"have": len(result.drawn), "industry": topic, "want": wanted}
            )
        draw = ExpertDraw.objects.create(
            project=application,
            seed=seed,
            wanted=wanted,
            candidates=candidates,
            conflicts=conflicts,
            drawn=result.drawn,
            skipped=result.skipped,
            replaces=replaces,
            created_by=actor,
        )
        by_id = {e.pk: e for e in experts}
        ExpertReview.objects.bulk_create(
            [ExpertReview(project=application, expert=by_id[pk], draw=draw) for pk in result.drawn]
        )
        audit_record(
            actor=actor,
            action="navigation.experts_draw",
            obj=draw,
            application=application,
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
            users=[by_id[pk].user for pk in result.drawn],
            kind="expert_drawn",
            application=application,
        )
        return draw


# ---------------------------------------------------------------- declaration and scores


def review_declare(
    *, actor, review: ExpertReview, conflict: bool, reason: str = ""
) -> ExpertReview:
    """The drawn expert declares, before seeing the application, whether they have a conflict.

    Only the declaration; the caller draws a replacement for a declared conflict (it knows
    what the draw matches), in the same transaction."""
    if review.expert.user_id != actor.pk:
        raise NotFound(_("No such review assignment."))
    reason = clean_text(reason, "reason", required=bool(conflict), max_length=300)
    with transaction.atomic():
        _lock_application(review.project_id)
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
            application=review.project,
            role=Role.EXPERT,
            data={"conflict": bool(conflict), "reason": reason},
        )
    return review


def parse_score(value: Any, field: str) -> Decimal:
    """One criterion's score: 0 to 100 with at most one decimal, given as text or a whole number."""
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


def review_score(
    *,
    actor,
    review: ExpertReview,
    scores: Any,
    comment: str = "",
    criteria: list[dict],
    scoring_open: bool = True,
) -> ExpertReview:
    """An expert scores every weighted criterion (0–100) with a comment.

    ``criteria``: ``[{"code", "weight", ...}]`` with weights adding up to 100; the weighted total
    is kept on the review. ``scoring_open``: whether the caller still takes scores for the
    application (read under its lock). What the submitted totals mean is the caller's."""
    if review.expert.user_id != actor.pk:
        raise NotFound(_("No such review assignment."))
    if not isinstance(scores, dict):
        raise InvalidInput([{"field": "scores", "message": _("An object: criterion → score.")}])
    codes = [c["code"] for c in criteria]
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
    parsed = {c: parse_score(scores[c], f"scores.{c}") for c in codes}
    comment = clean_text(comment, "comment")
    weights = {c["code"]: c["weight"] for c in criteria}
    total = (sum((parsed[c] * weights[c] for c in codes), ZERO) / 100).quantize(
        CENT, rounding=ROUND_HALF_UP
    )
    with transaction.atomic():
        _lock_application(review.project_id)
        review = ExpertReview.objects.select_for_update().get(pk=review.pk)
        if review.status == ExpertReview.Status.DRAWN:
            raise Conflict(_("Declare that you have no conflict of interest first."))
        if review.status != ExpertReview.Status.DECLARED or not scoring_open:
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
            application=review.project,
            role=Role.EXPERT,
            comment=comment,
            data={"scores": review.scores, "total": str(total)},
        )
    return review


def application_score(application: Application) -> Decimal | None:
    """The application's expert score (the mean rule over the submitted totals), or None
    before any expert submitted."""
    totals = submitted_totals(application)
    return aggregate_scores(totals) if totals else None


def submitted_totals(application: Application) -> list[Decimal]:
    """The weighted totals of the experts who submitted their scores on ``application``."""
    totals = ExpertReview.objects.filter(
        project=application, status=ExpertReview.Status.SUBMITTED, total__isnull=False
    ).values_list("total", flat=True)
    return list(t for t in totals if t is not None)
