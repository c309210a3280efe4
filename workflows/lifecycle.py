"""The one owner of an application's lifecycle: submit → review → finish → award.

    submit          the applicant submits: rules, certificate claim, first level, review round
    decide          a reviewer decides the open task; the flow routes; where it ends, finish
    finish          the chain ended: the kind's hooks, then the award (budget, epilogue),
                    or the return / rejection with its notice
    award_approved  THE epilogue of every award, written once: conclude ``approved``, tell
                    the applicant, issue the award letter after commit
    budget_added    finance adds budget; awards waiting in the merit queue are committed
                    best-ranked first, each through the epilogue
    withdraw        the applicant withdraws before a final decision: open review tasks
                    cancelled, the certificate freed, the kind's own hold undone (a voucher
                    void as after a rejection); ``withdrawn`` is final

Callers are the interface layer (API endpoints, pages), Celery tasks and commands; the
kernel and the capabilities below never call up here. A programme kind plugs in through
``grants.kinds`` (``on_submit``, ``on_review_end``, ``on_final_approval``); a kind's own
steps that end in an award (navigation's sign-off) call ``award_approved`` from their
endpoints. Each action is one transaction with its audit rows; letters and e-mails start
after commit.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from finance.models import Budget, LedgerEntry, QueueEntry
from finance.services.budget import award_commit, budget_allocate, budget_queue_drain
from grants import kinds
from grants.audit import AuditEntry, audit_record
from grants.errors import ChecksFailed, Conflict, Forbidden, InvalidInput, NotFound
from grants.models import (
    WITHDRAWABLE_STATUSES,
    Application,
    BudgetPolicy,
    Jurisdiction,
    Membership,
    Pledge,
    Program,
    Role,
    Status,
    User,
)
from grants.notifications import notify
from grants.presenters import office_at
from grants.reviewers import level_label
from grants.selectors import (
    applications_visible_to,
    reviewer_jurisdictions,
    visible_application,
)
from grants.services import (
    application_conclude,
    certificate_claim,
    certificate_release,
    lock_editable,
    submission_check,
)
from grants.transitions import transition
from letters.services import letter_enqueue
from programs.ranking import merit_for
from programs.versions import record_submission
from rules.services import evaluation_run
from workflows.flows import ReviewFlow
from workflows.models import ReviewProcess
from workflows.review import DECISIONS, OPEN, OUTCOMES, REVIEW_NODE

OUTCOME_STATUS = {
    "approved": Status.APPROVED,
    "returned": Status.RETURNED,
    "rejected": Status.REJECTED,
}


def _applicants(application: Application) -> list[User]:
    return [
        m.user
        for m in Membership.objects.filter(organization=application.organization).select_related(
            "user"
        )
    ]


# ---------------------------------------------------------------- submit


def submit(
    *,
    actor: User,
    application: Application,
    now: dt.datetime | None = None,
    pledge: bool = False,
) -> Application:
    """Run the rules; when nothing blocks, move to the first level of the programme's chain
    and start its review round, all in one transaction. ``pledge``: the applicant confirmed
    the programme's integrity pledge (诚信承诺); it is recorded with the round, user and time."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = lock_editable(application)
        program = locked.program
        # the definition is read by the checks, the facts and their schema: once
        prefetch_related_objects([program], "fields", "attachment_kinds", "cost_line_kinds")
        submission_check(locked, now=now)
        # the kind's guard (navigation: partners confirmed, budget plan = costs)
        kinds.hooks_for(program).on_submit(locked)
        evaluation = evaluation_run(
            application=locked,
            actor=actor,
            purpose="submit",
            save=False,
            on=timezone.localtime(now).date(),
        )
        if evaluation.blocks:
            raise ChecksFailed(
                _("%(n)d blocking check(s) failed; see checks.") % {"n": len(evaluation.blocking)},
                checks=evaluation.checks_for_api(),
                award_amount=evaluation.award_str,
            )
        evaluation.save()
        record_submission(program)  # the first: its definition becomes the version in force
        certificate_claim(locked)
        chain = list(program.levels)
        round_ = locked.round + 1
        pledged = (
            Pledge.objects.create(
                application=locked, round=round_, text=program.pledge_text, user=actor, at=now
            )
            if pledge
            else None
        )
        transition(
            locked,
            to=Status.IN_REVIEW,
            level=chain[0],
            actor=actor,
            role=Role.APPLICANT,
            action="application.submit",
            changes={
                "chain": chain,
                "round": round_,
                "submitted_at": now,
                "award_amount": evaluation.award_amount,
            },
            data={
                "round": round_,
                "chain": chain,
                "award_amount": evaluation.award_str,
                "evaluation": evaluation.pk,
                "pledge": pledged.pk if pledged else None,
            },
        )
        # same transaction: a submitted application is always in a review round
        ReviewFlow.start.run(application=locked, round=locked.round, chain=locked.chain)
    return locked


# ---------------------------------------------------------------- decide


def decide(
    *,
    application: Application | int,
    actor: User,
    decision: str,
    comment: str = "",
    task_id: int | None = None,
) -> Application:
    """A reviewer decides the application's open task: approve, return (comment) or reject (comment).

    The flow routes the decision (next level, or the end of the chain); where the chain
    ends, ``finish`` runs in the same transaction.

    ``application`` is the row a page already showed, or the id an API request names: then
    visibility is decided here, once, on the locked row (a reviewer sees a submitted
    application in their jurisdiction's subtree without another query; anything else is
    asked of ``applications_visible_to``), and what the actor may not see is NotFound.
    """
    by_id = not isinstance(application, Application)
    pk: int = application.pk if isinstance(application, Application) else application
    comment = (comment or "").strip()
    errors = []
    if decision not in DECISIONS:
        errors.append({"field": "decision", "message": _("Use approve, return or reject.")})
    elif decision in ("return", "reject") and not comment:
        errors.append(
            {"field": "comment", "message": _("A comment is required to return or reject.")}
        )
    if len(comment) > 4000:
        errors.append({"field": "comment", "message": _("At most 4,000 characters.")})
    if errors:
        raise InvalidInput(errors)
    places = reviewer_jurisdictions(actor)
    if not places:
        if by_id:
            visible_application(actor, pk)  # what one cannot see is not found, not forbidden
        raise Forbidden(_("Only reviewers decide applications."))

    with transaction.atomic():
        # one lock order everywhere: the application row first (alone, not its programme)
        app = (
            Application.objects.select_for_update(of=("self",))
            .select_related("organization__district", "program")
            .annotate(
                acts_for_it=Exists(
                    Membership.objects.filter(user=actor, organization=OuterRef("organization_id"))
                ),
                decided_elsewhere=Exists(
                    AuditEntry.objects.filter(
                        application=OuterRef("pk"), actor=actor, action="review.decision"
                    ).exclude(level=OuterRef("level"))
                ),
            )
            .filter(pk=pk)
            .first()
        )
        if app is None or (by_id and not _visible_to_reviewer(app, actor, places)):
            raise NotFound(_("No such application, or it is not visible to you."))
        process = task = None
        if app.status == Status.IN_REVIEW:
            process = ReviewProcess.objects.filter(application=app).order_by("-round").first()
        if process is not None:
            task = (
                Task.objects.filter(process_id=process.pk, flow_task=REVIEW_NODE, status__in=OPEN)
                .order_by("-id")
                .first()
            )
        if process is None or task is None:
            raise Conflict(
                _("The application is %(s)s; there is no open review task to decide.")
                % {"s": app.get_status_display()}
            )
        if task_id is not None and task.pk != task_id:
            raise Conflict(_("This task was already decided; the application has moved on."))
        level = task.data["level"]
        district = app.organization.district
        if not any(p.level == level and district.path.startswith(p.path) for p in places):
            raise Conflict(
                _("The application is at the %(level)s level, which is not yours.")
                % {"level": level_label(level)}
            )
        if app.acts_for_it:  # annotated above
            raise Forbidden(_("Separation of duties: you act for the applicant organisation."))
        if app.decided_elsewhere:  # annotated above
            raise Forbidden(
                _("Separation of duties: you already decided this application at another level.")
            )
        # viewflow reads the process and the application through these: load nothing again
        process.application = app
        task.process = process
        task.data.update(
            decision=decision,
            comment=comment,
            decided_by=actor.pk,
            decided_by_name=actor.username,
            decided_at=timezone.now().isoformat(),
        )
        if task.status == STATUS.NEW:  # taken by this reviewer; saved with the task below
            task.owner = actor
            task.assigned = timezone.now()
            task.status = STATUS.ASSIGNED
        process.data["last_decision"] = {
            "decision": decision,
            "comment": comment,
            "actor": actor.pk,
            "level": level,
            "level_index": task.data["level_index"],
        }
        audit_record(
            actor=actor,
            action="review.decision",
            obj=app,
            application=app,
            role=Role.REVIEWER,
            level=level,
            from_status=app.status,
            to_status=app.status,
            comment=comment,
            data={"decision": decision, "task": task.pk, "round": process.round},
        )
        activation = task.flow_task.activation_class(task)
        activation.start(None)
        activation.execute()  # saves the task (decision, owner, done), routes, opens the next
        if process.status == PROCESS.DONE:
            finish(process=process, outcome=OUTCOMES[decision], application=app, actor=actor)
    return app


def _visible_to_reviewer(app: Application, actor: User, places: list[Jurisdiction]) -> bool:
    """``applications_visible_to(actor)`` for one locked row, without a query in the usual case."""
    path = app.organization.district.path
    if app.submitted_at is not None and any(path.startswith(p.path) for p in places):
        return True
    return applications_visible_to(actor).filter(pk=app.pk).exists()


# ---------------------------------------------------------------- finish and award


def finish(*, process: ReviewProcess, outcome: str, application: Application, actor: User) -> None:
    """The chain ended: approved after the last level, or returned/rejected at one."""
    last = process.data.get("last_decision", {})
    app = application
    level = last.get("level", "")
    comment = last.get("comment", "")
    hooks = kinds.hooks_for(app.program)
    hooks.on_review_end(app, outcome, actor)
    if outcome == "approved":
        if not hooks.on_final_approval(app, actor, level):
            return  # the kind's own steps follow (navigation: experts, notice, sign-off)
        if hooks.settle_award is not None:  # steps with milestones: tranches
            settled = hooks.settle_award(app, actor)
        else:  # BudgetExceeded, under the refuse policy, rolls the decision back
            settled = award_commit(application=app, actor=actor, merit=queue_merit(app))
        if not settled:
            return  # waits in the programme's merit queue (择优) until budget is added
        award_approved(
            application=app,
            actor=actor,
            role=Role.REVIEWER,
            level=level,
            comment=comment,
            data={"round": process.round},
        )
        return
    application_conclude(
        application=app,
        to_status=OUTCOME_STATUS[outcome],
        actor=actor,
        role=Role.REVIEWER,
        level=level,
        comment=comment,
        data={"round": process.round},
    )
    if outcome == "rejected":
        certificate_release(application=app)
    notify(
        users=_applicants(app),
        kind=outcome,
        application=app,
        context={
            "level_label": level_label(level),
            "office": office_at(level, app.organization.district),
            "comment": comment,
        },
    )
    if outcome == "rejected":  # the refusal notice, by a worker after commit
        letter_enqueue(application=app, kind="refusal")


def queue_merit(application: Application) -> Decimal | None:
    """The merit the application would wait with in its programme's merit queue (择优): its
    programme's ranking (expert score or formula), never its amount; 0 when it cannot wait."""
    if application.program.budget_policy != BudgetPolicy.QUEUE:
        return Decimal(0)
    return merit_for(application)


def award_approved(
    *,
    application: Application,
    actor: User | None,
    role: str,
    level: str = "",
    comment: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    """The award is decided and its money settled (committed, or planned in tranches):
    the application becomes ``approved``, the applicant is told, and a worker issues the
    award letter after commit. The one epilogue of every award, whoever decided it."""
    amount = application.award_amount
    application_conclude(
        application=application,
        to_status=Status.APPROVED,
        actor=actor,
        role=role,
        level=level,
        comment=comment,
        data={"award_amount": None if amount is None else f"{amount:.2f}", **(data or {})},
    )
    notify(
        users=_applicants(application),
        kind="approved",
        application=application,
        context={"level_label": level_label(level), "comment": comment},
    )
    letter_enqueue(application=application, kind="award")


def awards_approved(
    *,
    applications: list[Application],
    actor: User | None,
    role: str,
    level: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    """Several awards decided by one step of a kind's own (a public notice signed off): the
    epilogue for each, in the caller's transaction."""
    for application in applications:
        award_approved(application=application, actor=actor, role=role, level=level, data=data)


def budget_added(
    *, actor: User, program: Program, year: int, amount: Decimal, source: str, reason: str
) -> LedgerEntry:
    """Finance adds budget; awards waiting in the programme's merit queue are committed
    best-ranked first while it covers them, each then approved through the epilogue."""
    with transaction.atomic():
        entry = budget_allocate(
            actor=actor, program=program, year=year, amount=amount, source=source, reason=reason
        )
        budget: Budget = entry.budget
        for app in budget_queue_drain(budget=budget, actor=actor):
            award_approved(
                application=app,
                actor=actor,
                role="finance",
                comment=_("Budget added: the award left the merit queue."),
                data={"from_queue": True},
            )
    return entry


# ---------------------------------------------------------------- withdraw


def withdraw(*, actor: User, application: Application, reason: str) -> Application:
    """The applicant withdraws the application before a final decision (draft, in review,
    returned): the round's open review tasks are cancelled, a claimed certificate is free
    again, the kind undoes its own hold (``KindHooks.on_withdraw``: a voucher claim's voucher
    is void as after a rejection), and the application is ``withdrawn`` for good."""
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason:
        raise InvalidInput(
            [{"field": "reason", "message": _("Say why the application is withdrawn.")}]
        )
    if len(reason) > 4000:
        raise InvalidInput([{"field": "reason", "message": _("At most 4,000 characters.")}])
    with transaction.atomic():
        # the one lock order: the application row first, alone
        app = (
            Application.objects.select_for_update(of=("self",))
            .select_related("program")
            .get(pk=application.pk)
        )
        if app.status not in WITHDRAWABLE_STATUSES:
            raise Conflict(
                _(
                    "The application is %(s)s; only a draft, or one in review or returned before a "
                    "final decision, can be withdrawn."
                )
                % {"s": app.get_status_display()}
            )
        if QueueEntry.objects.filter(application=app, status=QueueEntry.Status.WAITING).exists():
            raise Conflict(
                _(
                    "Every level approved the application; it waits for budget and can no longer be withdrawn."
                )
            )
        kinds.hooks_for(app.program).on_withdraw(app, actor)
        cancelled = 0
        for process in ReviewProcess.objects.filter(application=app).exclude(
            status__in=(PROCESS.DONE, PROCESS.CANCELED)
        ):
            cancelled += Task.objects.filter(process_id=process.pk, status__in=OPEN).count()
            ReviewFlow.instance.cancel(process)
        certificate_release(application=app)
        transition(
            app,
            to=Status.WITHDRAWN,
            level="",
            audit_level=app.level,
            actor=actor,
            role=Role.APPLICANT,
            action="application.withdraw",
            comment=reason,
            data={"cancelled_tasks": cancelled},
        )
    return app
