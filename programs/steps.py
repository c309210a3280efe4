"""The steps any programme may switch on by configuration (``Program.steps``), after its review
chain approves: expert review, public notice of the proposed awards, milestones with tranches.

They run with the step packages navigation uses too (``experts``, ``notices``, ``milestones``)
and need nothing of a kind. A programme with steps is routed here by the steps overlay of
``grants.kinds`` (registered by ``programs.apps``): the chain's last approval puts the
application in its programme's steps (``chain_approved``) instead of awarding it.

    chain approved ─▶ expert_review ─▶ ranked ─▶ notice ─▶ awarded ─▶ accepted
         (no experts) ──────────────────┘    │      └▶ withdrawn (objection upheld)
                                              └▶ not_selected

- **Expert review**: an administrator draws N experts of the programme's field of expertise
  (``topic``, or the answer of ``topic_field``) at random with a recorded seed, skipping
  conflicts (the applicant organisation); each declares before seeing the application (a
  conflict draws a replacement) and scores the weighted criteria; the score is the mean rule.
- **Ranking**: the programme's merit ranking (``programs.ranking``), never the award amount.
- **Selection**: the city (or an administrator) selects on the ranking (the best-ranked by
  default, at most the target count; departing from the ranking needs a comment). With the
  public notice on, the selection is published for N working days; anyone may object without
  login; the city resolves (an upheld objection withdraws the application: rejected); the
  region signs off once the period is over and every objection is resolved. Only then are
  the awards approved and their letters issued (``workflows.lifecycle.awards_approved``,
  called by the endpoint in the same transaction). Without a notice, the selection is the award.
- **Money**: an award's money is committed from the budget when it is approved (the merit
  queue, 择优, when the budget is short and the programme waits), or, with milestones, planned
  in tranches, each committed when its milestone is accepted; the last accepted is the
  acceptance (验收) with its certificate.

Who does what: administrators draw experts; the city selects and resolves objections; the
region signs off; the programme's milestone levels decide milestones. One function per action,
keyword-only; guard, then change; every change has its audit row in the same transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from experts import services as experts
from experts.models import ExpertDraw, ExpertReview
from finance.services.budget import BudgetExceeded, award_commit, budget_for
from grants.audit import audit_record
from grants.errors import Conflict, Forbidden, InvalidInput, NotFound
from grants.kinds import KindHooks
from grants.models import Application, BudgetPolicy, Level, Membership, Program, Role, Status
from grants.notifications import notify
from grants.selectors import has_role, reviewer_jurisdictions
from grants.services import application_conclude, clean_text, parse_money
from letters.models import Letter, LetterKind
from letters.services import letter_enqueue
from milestones import services as milestones
from milestones.models import Contract, Milestone
from notices import services as notices
from notices.models import Notice, Objection
from programs.models import Stage, StepProgress
from programs.ranking import Ranked, merit_for, ranked

ZERO = Decimal("0.00")
SELECTS = (Level.CITY,)
RESOLVES_OBJECTIONS = (Level.CITY,)
SIGNS_OFF = (Level.REGION,)
AWARDED = (Status.APPROVED, Status.AWARDED, Status.PAID)
RANKED_STAGES = (Stage.RANKED, Stage.NOTICE, Stage.NOT_SELECTED, Stage.WITHDRAWN, Stage.AWARDED)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def may(actor: Any, levels: tuple[str, ...]) -> bool:
    """An administrator, or a reviewer at one of ``levels``."""
    return has_role(actor, Role.ADMIN) or any(
        place.level in levels for place in reviewer_jurisdictions(actor)
    )


def _require(actor: Any, levels: tuple[str, ...], message: str) -> None:
    if not may(actor, levels):
        raise Forbidden(message)


def _members(organization_id: int) -> list[Any]:
    return [
        m.user
        for m in Membership.objects.filter(organization_id=organization_id).select_related("user")
    ]


def _stage(application: Application) -> str:
    """The stage of an application read with ``select_related("step_progress")``."""
    progress = getattr(application, "step_progress", None)
    return progress.stage if progress is not None else ""


def progress_of(application: Application) -> StepProgress | None:
    return StepProgress.objects.filter(application=application).first()


def _lock(application_id: int) -> tuple[Application, StepProgress]:
    """The application row first (the one lock order), then its progress."""
    app = (
        Application.objects.select_for_update(of=("self",))
        .select_related("program", "organization__district")
        .get(pk=application_id)
    )
    progress = StepProgress.objects.select_for_update().filter(application=app).first()
    if progress is None:
        raise NotFound(_("This application is not in its programme's steps."))
    return app, progress


def _set_stage(progress: StepProgress, stage: str, *, actor: Any, **data: Any) -> None:
    before = progress.stage
    progress.stage = stage
    progress.save(update_fields=["stage", "score", "accepted_at"])
    audit_record(
        actor=actor,
        action="steps.stage",
        obj=progress.application,
        application=progress.application,
        role="system" if actor is None else Role.REVIEWER,
        data={"from": before, "to": stage, **data},
    )


# ---------------------------------------------------------------- after the chain


def chain_approved(application: Application, actor: Any, level: str) -> bool:
    """The chain's last level approved. With expert review or a public notice switched on,
    the application enters them (False: no award yet); with milestones only, the award
    follows now (True) and its money is planned in tranches (``settle_award``)."""
    program = application.program
    if program.step_settings("expert_review") is not None:
        stage = Stage.EXPERT_REVIEW
    elif program.step_settings("public_notice") is not None:
        stage = Stage.RANKED
    else:
        return True
    progress, _created = StepProgress.objects.update_or_create(
        application=application, defaults={"stage": stage, "score": None}
    )
    audit_record(
        actor=actor,
        action="steps.enter",
        obj=application,
        application=application,
        role=Role.REVIEWER,
        level=level,
        data={"stage": stage},
    )
    return False


def settle_award(application: Application, actor: Any) -> bool:
    """An award of a programme with steps is decided: its money. With milestones, its contract
    with milestones and tranches (nothing committed yet); otherwise its commitment from the
    budget, or its place in the merit queue (False: it waits for budget, ranked on merit)."""
    plan = application.program.step_settings("milestones")
    if plan is not None:
        if not Contract.objects.filter(project=application).exists():
            milestones.contract_plan(
                actor=actor,
                application=application,
                milestones=plan["milestones"],
                starts_on=timezone.localdate(),
            )
        return True
    merit = (
        merit_for(application) if application.program.budget_policy == BudgetPolicy.QUEUE else None
    )
    return award_commit(application=application, actor=actor, merit=merit)


# ---------------------------------------------------------------- expert review


def _topic(application: Application) -> str:
    settings = application.program.step_settings("expert_review") or {}
    if settings.get("topic_field"):
        topic = (application.fields or {}).get(settings["topic_field"])
        if not topic:
            raise Conflict(_("The application does not say its field of expertise."))
        return str(topic)
    return str(settings.get("topic", ""))


def _conflicting(application: Application) -> dict[int, str]:
    return {application.organization_id: "same_organisation"}


def experts_draw(*, actor: Any, application: Application, seed: str | None = None) -> ExpertDraw:
    """Draw the programme's N experts at random (recorded seed), skipping conflicts."""
    if not has_role(actor, Role.ADMIN):
        raise Forbidden(_("Only programme administrators draw experts."))
    if seed is not None and (not isinstance(seed, str) or not 1 <= len(seed.strip()) <= 40):
        raise InvalidInput([{"field": "seed", "message": _("A seed of 1 to 40 characters.")}])
    seed = seed.strip() if seed else str(secrets.randbits(63))
    with transaction.atomic():
        app, progress = _lock(application.pk)
        settings = app.program.step_settings("expert_review")
        if settings is None or progress.stage != Stage.EXPERT_REVIEW:
            raise Conflict(_("Experts are drawn for an application in expert review."))
        if ExpertDraw.objects.filter(project=app).exists():
            raise Conflict(_("Experts were already drawn for this application."))
        return experts.experts_draw(
            actor=actor,
            application=app,
            topic=_topic(app),
            organizations=_conflicting(app),
            wanted=settings["experts_per_application"],
            seed=seed,
        )


def expert_declare(
    *, actor: Any, review: ExpertReview, conflict: bool, reason: str = ""
) -> ExpertReview:
    """The drawn expert declares, before seeing the application, whether they have a
    conflict; a declared conflict draws a replacement (its own seed)."""
    with transaction.atomic():
        review = experts.review_declare(
            actor=actor, review=review, conflict=conflict, reason=reason
        )
        if conflict:
            app, _progress = _lock(review.project_id)
            experts.experts_draw(
                actor=actor,
                application=app,
                topic=_topic(app),
                organizations=_conflicting(app),
                wanted=1,
                seed=str(secrets.randbits(63)),
                replaces=review,
            )
    return review


def review_score(
    *, actor: Any, review: ExpertReview, scores: Any, comment: str = ""
) -> ExpertReview:
    """An expert scores the programme's weighted criteria; once every drawn expert has, the
    application's score is the mean rule and it is ranked."""
    with transaction.atomic():
        app, progress = _lock(review.project_id)
        settings = app.program.step_settings("expert_review") or {}
        review = experts.review_score(
            actor=actor,
            review=review,
            scores=scores,
            comment=comment,
            criteria=settings.get("criteria", []),
            scoring_open=progress.stage == Stage.EXPERT_REVIEW,
        )
        submitted = experts.submitted_totals(app)
        if len(submitted) >= settings.get("experts_per_application", 1):
            progress.score = experts.aggregate_scores(submitted)
            _set_stage(
                progress,
                Stage.RANKED,
                actor=None,
                score=str(progress.score),
                totals=[str(t) for t in submitted],
            )
    return review


def review_is_for_steps(review: ExpertReview) -> bool:
    return StepProgress.objects.filter(application_id=review.project_id).exists()


# ---------------------------------------------------------------- ranking and selection


def ranking(program: Program) -> list[Ranked]:
    """The programme's applications past the chain, best first on its merit ranking (those
    still in expert review last, unranked)."""
    apps = list(
        Application.objects.filter(
            program=program, step_progress__stage__in=RANKED_STAGES
        ).select_related("organization", "step_progress")
    )
    return ranked(program, apps)


@dataclass(frozen=True)
class Selection:
    """The city's selection: its public notice (None without the notice step), and the
    applications whose award is decided now (without a notice; the endpoint approves them)."""

    notice: Notice | None
    awards: list[Application]


def selection_decide(
    *, actor: Any, program: Program, selected: list[dict[str, Any]] | None = None, comment: str = ""
) -> Selection:
    """The city selects on the ranking: the best-ranked by default (at most the target count),
    each award at most its assessed amount. With the public notice on, the selection is
    published; the others are not selected (rejected)."""
    _require(actor, SELECTS, _("The city selects on the ranking."))
    notice_settings = program.step_settings("public_notice")
    target = (notice_settings or {}).get("target_count")
    comment = clean_text(comment, "comment", required=False)
    with transaction.atomic():
        Program.objects.select_for_update(no_key=True).filter(pk=program.pk).exists()
        if StepProgress.objects.filter(
            application__program=program, stage=Stage.EXPERT_REVIEW
        ).exists():
            raise Conflict(_("Some applications are still in expert review."))
        ranked_apps = [r for r in ranking(program) if _stage(r.application) == Stage.RANKED]
        if not ranked_apps:
            raise Conflict(_("No ranked application waits for a selection."))
        by_id = {r.application.pk: r for r in ranked_apps}
        if selected is None:
            top = ranked_apps[: target or len(ranked_apps)]
            selected = [{"application": r.application.pk} for r in top]
        errors: list[dict[str, str]] = []
        chosen: list[tuple[Application, Decimal]] = []
        if not isinstance(selected, list):
            raise InvalidInput([{"field": "selected", "message": _("A list.")}])
        for i, item in enumerate(selected):
            key = item.get("application") if isinstance(item, dict) else None
            row = by_id.get(key) if isinstance(key, int) else None
            if row is None:
                errors.append(
                    {
                        "field": f"selected[{i}].application",
                        "message": _("Not a ranked application of this programme."),
                    }
                )
                continue
            cap = row.application.award_amount or ZERO
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
            chosen.append((row.application, amount))
        if not chosen and not errors:
            errors.append({"field": "selected", "message": _("Select at least one application.")})
        if len({a.pk for a, _m in chosen}) != len(chosen):
            errors.append({"field": "selected", "message": _("An application is selected twice.")})
        if target and len(chosen) > target:
            errors.append(
                {
                    "field": "selected",
                    "message": _("At most %(n)d (the programme's target).") % {"n": target},
                }
            )
        best = [r.application.pk for r in ranked_apps][: len(chosen)]
        if sorted(best) != sorted(a.pk for a, _m in chosen) and not comment:
            errors.append(
                {
                    "field": "comment",
                    "message": _("Say why the selection departs from the ranking."),
                }
            )
        if errors:
            raise InvalidInput(errors)
        total = sum((m for _a, m in chosen), ZERO)
        budget = budget_for(program)
        available = budget.available if budget else ZERO
        if program.budget_policy != BudgetPolicy.QUEUE and total > available:
            raise BudgetExceeded(
                _("The selected awards (¥%(total)s) exceed the available budget (¥%(available)s).")
                % {"total": _money(total), "available": _money(available)},
                amount=_money(total),
                available=_money(available),
            )
        notice = None
        if notice_settings is not None:
            notice = notices.notice_publish(
                actor=actor,
                program=program,
                applications=[a for a, _m in chosen],
                working_days=notice_settings["working_days"],
                comment=comment,
                role=Role.REVIEWER,
                level=Level.CITY,
            )
        awards = []
        for app, amount in chosen:
            Application.objects.filter(pk=app.pk).update(award_amount=amount)
            app.award_amount = amount
            progress = StepProgress.objects.get(application=app)
            _set_stage(
                progress,
                Stage.NOTICE if notice else Stage.AWARDED,
                actor=actor,
                notice=notice.number if notice else None,
                award_amount=_money(amount),
                rank=by_id[app.pk].rank,
                comment=comment,
            )
            if notice is None and settle_award(app, actor):
                awards.append(app)
        chosen_ids = {a.pk for a, _m in chosen}
        for row in ranked_apps:
            if row.application.pk not in chosen_ids:
                _close_unsuccessful(
                    actor=actor,
                    application=row.application,
                    stage=Stage.NOT_SELECTED,
                    comment=comment or _("Not selected on merit."),
                )
    return Selection(notice=notice, awards=awards)


def _close_unsuccessful(*, actor: Any, application: Application, stage: str, comment: str) -> None:
    app = Application.objects.select_for_update().get(pk=application.pk)
    progress = StepProgress.objects.get(application=app)
    _set_stage(progress, stage, actor=actor)
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


# ---------------------------------------------------------------- the public notice


def steps_notice(notice_id: Any) -> Notice:
    """A public notice of a programme with steps by configuration (else NotFound)."""
    notice = Notice.objects.select_related("program").filter(pk=notice_id).first()
    if (
        notice is None
        or not StepProgress.objects.filter(application__notice_entries__notice=notice).exists()
    ):
        raise NotFound(_("No such public notice."))
    return notice


def objection_file(
    *, notice: Notice, name: str, contact: str, text: str, application_id: int | None = None
) -> Objection:
    """Anyone objects while the notice runs, without login; the city and administrators are told."""
    return notices.objection_file(
        notice=notice,
        name=name,
        contact=contact,
        text=text,
        application_id=application_id,
        notify_levels=RESOLVES_OBJECTIONS,
    )


def objection_resolve(
    *, actor: Any, objection: Objection, outcome: str, resolution: str
) -> Objection:
    """The city resolves an objection: dismissed, or upheld (the application leaves the
    notice: withdrawn, and rejected)."""
    _require(actor, RESOLVES_OBJECTIONS, _("The city resolves objections."))
    with transaction.atomic():
        objection = notices.objection_resolve(
            actor=actor,
            objection=objection,
            outcome=outcome,
            resolution=resolution,
            level=Level.CITY,
        )
        if objection.status == Objection.Status.UPHELD and objection.project_id is not None:
            progress = StepProgress.objects.filter(application_id=objection.project_id).first()
            if progress is not None and progress.stage == Stage.NOTICE:
                _close_unsuccessful(
                    actor=actor,
                    application=progress.application,
                    stage=Stage.WITHDRAWN,
                    comment=objection.resolution,
                )
    return objection


@dataclass(frozen=True)
class SignedOff:
    """A signed-off notice and the awards whose money is settled: the endpoint approves them
    through ``workflows.lifecycle.awards_approved`` in its transaction. Those waiting in the
    merit queue are approved when finance adds budget."""

    notice: Notice
    awards: list[Application]
    queued: list[Application]


def notice_sign_off(*, actor: Any, notice: Notice, now: dt.datetime | None = None) -> SignedOff:
    """The region signs off once the notice period is over and every objection is resolved;
    each listed application's money is settled (committed, queued on merit, or planned in
    tranches with milestones)."""
    _require(actor, SIGNS_OFF, _("The autonomous region signs off."))
    with transaction.atomic():
        notice, listed = notices.notice_sign_off(
            actor=actor, notice=notice, now=now or timezone.now(), level=Level.REGION
        )
        awards: list[Application] = []
        queued: list[Application] = []
        # best-ranked first: when the budget is short, merit decides who is paid now (择优)
        for app in [row.application for row in ranked(notice.program, listed)]:
            progress = StepProgress.objects.get(application=app)
            _set_stage(progress, Stage.AWARDED, actor=actor, notice=notice.number)
            (awards if settle_award(app, actor) else queued).append(app)
    return SignedOff(notice=notice, awards=awards, queued=queued)


# ---------------------------------------------------------------- milestones


def milestone_levels(program: Program) -> list[str]:
    return list((program.step_settings("milestones") or {}).get("levels") or [Level.CITY])


def milestone_submit(*, actor: Any, milestone: Milestone, report: str) -> Milestone:
    return milestones.milestone_submit(
        actor=actor,
        milestone=milestone,
        report=report,
        levels=milestone_levels(milestone.contract.project.program),
    )


def milestone_decide(
    *, actor: Any, milestone: Milestone, decision: str, comment: str = ""
) -> Milestone:
    """A reviewer of the milestone's level decides; the last one accepted is the acceptance
    (验收): its certificate is issued after commit (letter kind ``acceptance``)."""
    levels = milestone_levels(milestone.contract.project.program)
    with transaction.atomic():
        milestone = milestones.milestone_decide(
            actor=actor, milestone=milestone, decision=decision, comment=comment, levels=levels
        )
        if milestone.status == Milestone.Status.ACCEPTED and milestones.contract_accepted(
            milestone.contract
        ):
            app = milestone.contract.project
            progress, _created = StepProgress.objects.get_or_create(
                application=app, defaults={"stage": Stage.AWARDED}
            )
            progress.accepted_at = milestone.accepted_at
            _set_stage(progress, Stage.ACCEPTED, actor=actor, contract=milestone.contract.number)
            letter_enqueue(application=app, kind=LetterKind.ACCEPTANCE)
    return milestone


def accepted(application: Application) -> bool:
    """The acceptance certificate may be issued: awarded and every milestone accepted."""
    return (
        application.status in AWARDED
        and StepProgress.objects.filter(application=application, stage=Stage.ACCEPTED).exists()
    )


def letter_context(letter: Letter) -> dict[str, Any]:
    """What an acceptance certificate states of the contract: its milestones and tranches."""
    if letter.kind != LetterKind.ACCEPTANCE:
        return {}
    contract = Contract.objects.filter(project_id=letter.application_id).first()
    if contract is None:
        return {}
    rows = list(contract.milestones.select_related("tranche").order_by("position"))
    return {
        "contract": {
            "number": contract.number,
            "milestones": [
                {
                    "position": m.position,
                    "label": m.label,
                    "due_on": m.due_on.isoformat(),
                    "accepted_on": timezone.localtime(m.accepted_at).date().isoformat()
                    if m.accepted_at
                    else "",
                    "amount_figures": f"{m.tranche.amount:,.2f}",
                }
                for m in rows
            ],
        }
    }


# ---------------------------------------------------------------- the overlay


def overlay(program: Program, base: KindHooks) -> KindHooks:
    """The hooks of a programme with steps switched on: its kind's, with the steps on top."""
    letter_kinds = dict(base.letter_kinds)
    context = base.letter_context
    if program.step_settings("milestones") is not None:
        letter_kinds[LetterKind.ACCEPTANCE] = accepted

        def both(letter: Letter) -> dict[str, Any]:
            return {**base.letter_context(letter), **letter_context(letter)}

        context = both
    return dataclasses.replace(
        base,
        on_final_approval=chain_approved,
        settle_award=settle_award,
        letter_kinds=letter_kinds,
        letter_context=context,
    )


def visibility(user: Any, organizations: Any) -> Q | None:
    """An expert drawn for an application of a programme with steps sees it once they
    declared no conflict."""
    if not has_role(user, Role.EXPERT):
        return None
    return Q(
        pk__in=ExpertReview.objects.filter(
            expert__user=user,
            status__in=(ExpertReview.Status.DECLARED, ExpertReview.Status.SUBMITTED),
            project__step_progress__isnull=False,
        ).values("project_id")
    )


USER_HOOKS = KindHooks(visibility=visibility)
