"""Review actions: start a round, record a decision, finish, escalate; who reviews where.

Every action runs in one transaction with its audit rows; notifications are
written in the same transaction and e-mailed after commit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.fields.json import KT
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, get_users_with_perms, remove_perm
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from grants.audit import AuditEntry, audit_record
from grants.errors import Conflict, Forbidden, InvalidInput
from grants.models import (
    Application,
    Jurisdiction,
    Level,
    Membership,
    ProgramKind,
    Role,
    RoleAssignment,
    Status,
)
from grants.notifications import Notification, notify
from grants.selectors import REVIEW_PERMISSION, applications_visible_to
from grants.selectors import reviewer_jurisdictions as review_jurisdictions
from workflows.calendar import deadline_after
from workflows.flows import ReviewFlow
from workflows.models import ReviewProcess

OPEN = (STATUS.NEW, STATUS.ASSIGNED)
DECISIONS = ("approve", "return", "reject")
OUTCOME_STATUS = {
    "approved": Status.APPROVED,
    "returned": Status.RETURNED,
    "rejected": Status.REJECTED,
}


def level_label(level: str) -> str:
    return str(Level(level).label) if level in Level.values else level


# ---------------------------------------------------------------- reviewers


def reviewer_appoint(*, user, jurisdiction: Jurisdiction, actor=None) -> RoleAssignment:
    """Make ``user`` a reviewer at ``jurisdiction`` (its level): role row + guardian object permission."""
    with transaction.atomic():
        role, created = RoleAssignment.objects.get_or_create(
            user=user, role=Role.REVIEWER, level=jurisdiction.level, jurisdiction=jurisdiction
        )
        assign_perm(REVIEW_PERMISSION, user, jurisdiction)
        if created:
            audit_record(
                actor=actor,
                action="reviewer.appoint",
                obj=role,
                role=Role.ADMIN,
                level=jurisdiction.level,
                data={"user": user.username, "jurisdiction": jurisdiction.code},
            )
    return role


def reviewer_dismiss(*, role: RoleAssignment, actor=None) -> None:
    with transaction.atomic():
        remove_perm(REVIEW_PERMISSION, role.user, role.jurisdiction)
        audit_record(
            actor=actor,
            action="reviewer.dismiss",
            obj=role,
            role=Role.ADMIN,
            level=role.level,
            data={"user": role.user.username, "jurisdiction": role.jurisdiction_id},
        )
        role.delete()


def reviewers_at(level: str, district: Jurisdiction) -> list:
    """Users who review ``level`` for an organisation in ``district``."""
    codes = district.path.split("/")
    places = Jurisdiction.objects.filter(code__in=codes, level=level)
    users: dict[int, Any] = {}
    for place in places:
        for user in get_users_with_perms(
            place, only_with_perms_in=["review_in"], with_superusers=False, with_group_users=True
        ):
            if user.is_active:
                users[user.pk] = user
    return list(users.values())


# ---------------------------------------------------------------- selectors


def review_tasks() -> QuerySet[Task]:
    return Task.objects.filter(flow_task=ReviewFlow.review)


def open_review_task(application: Application) -> Task | None:
    return (
        review_tasks()
        .filter(process__reviewprocess__application=application, status__in=OPEN)
        .order_by("-id")
        .first()
    )


def tasks_for(user) -> QuerySet[Task]:
    """Open review tasks ``user`` may decide now: level and jurisdiction match, no separation-of-duties bar."""
    places = review_jurisdictions(user)
    if not places:
        return Task.objects.none()
    where = Q()
    for place in places:
        where |= Q(
            data__level=place.level,
            process__reviewprocess__application__organization__district__path__startswith=place.path,
        )
    decided_elsewhere = AuditEntry.objects.filter(
        application_id=OuterRef("process__reviewprocess__application_id"),
        actor=user,
        action="review.decision",
    ).exclude(level=OuterRef("task_level"))
    member = Membership.objects.filter(
        user=user, organization_id=OuterRef("process__reviewprocess__application__organization_id")
    )
    return (
        review_tasks()
        .filter(status__in=OPEN)
        # visibility comes from the one selector; the level/jurisdiction match narrows it to "may act"
        .filter(process__reviewprocess__application__in=applications_visible_to(user).values("pk"))
        .annotate(task_level=KT("data__level"))
        .filter(where)
        .exclude(Exists(member))
        .exclude(Exists(decided_elsewhere))
        .select_related(
            "process__reviewprocess__application__program",
            "process__reviewprocess__application__organization__district",
        )
        .order_by("created", "id")
    )


# ---------------------------------------------------------------- deadlines


def review_deadline_for(task: Task) -> dt.datetime:
    process = ReviewProcess.objects.select_related("application__program").get(pk=task.process_id)
    days = process.application.program.deadline_days(task.data["level"])
    return deadline_after(task.created, days)


def task_deadline(task: Task) -> dt.datetime | None:
    raw = (task.data or {}).get("deadline")
    return dt.datetime.fromisoformat(raw) if raw else None


def task_is_overdue(task: Task, now: dt.datetime | None = None) -> bool:
    deadline = task_deadline(task)
    return bool(task.data.get("overdue")) or (
        deadline is not None and (now or timezone.now()) > deadline
    )


# ---------------------------------------------------------------- actions


def review_start(*, application: Application, actor) -> ReviewProcess:
    """Start the review round of a just-submitted application (inside the submit transaction)."""
    return ReviewFlow.start.run(
        application=application, round=application.round, chain=application.chain
    )


def on_review_task_created(task: Task) -> None:
    """A level's task exists: the application is now at that level; its reviewers are told."""
    process = ReviewProcess.objects.select_related(
        "application__organization__district", "application__program"
    ).get(pk=task.process_id)
    application = process.application
    level = task.data["level"]
    deadline = review_deadline_for(task)
    task.data["deadline"] = deadline.isoformat()
    task.data["round"] = process.round
    task.save(update_fields=["data"])
    from_level = application.level
    Application.objects.filter(pk=application.pk).update(level=level, updated_at=timezone.now())
    application.level = level
    audit_record(
        actor=None,
        action="review.task_created",
        obj=application,
        application=application,
        role="system",
        level=level,
        from_status=application.status,
        to_status=application.status,
        data={
            "task": task.pk,
            "round": process.round,
            "from_level": from_level,
            "deadline": deadline.isoformat(),
        },
    )
    notify(
        users=reviewers_at(level, application.organization.district),
        kind=Notification.Kind.NEW_TASK,
        application=application,
        context={
            "level_label": level_label(level),
            "deadline": timezone.localtime(deadline).strftime("%Y-%m-%d"),
        },
    )


def decision_record(
    *, application: Application, actor, decision: str, comment: str = "", task_id: int | None = None
) -> Application:
    """A reviewer decides the application's open task: approve, return (comment) or reject (comment)."""
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
    places = review_jurisdictions(actor)
    if not places:
        raise Forbidden(_("Only reviewers decide applications."))

    with transaction.atomic():
        process = (
            ReviewProcess.objects.filter(application=application)
            .order_by("-round")
            .only("pk")
            .first()
        )
        if process is None:
            raise Conflict(_("The application is not under review."))
        try:
            with ReviewFlow.lock(process.pk):
                task = open_review_task(application)
                app = Application.objects.select_related("organization__district", "program").get(
                    pk=application.pk
                )
                if task is None or app.status != Status.IN_REVIEW:
                    raise Conflict(
                        _("The application is %(s)s; there is no open review task to decide.")
                        % {"s": app.get_status_display()}
                    )
                if task_id is not None and task.pk != task_id:
                    raise Conflict(
                        _("This task was already decided; the application has moved on.")
                    )
                level = task.data["level"]
                district = app.organization.district
                if not any(p.level == level and district.path.startswith(p.path) for p in places):
                    raise Conflict(
                        _("The application is at the %(level)s level, which is not yours.")
                        % {"level": level_label(level)}
                    )
                if Membership.objects.filter(
                    user=actor, organization_id=app.organization_id
                ).exists():
                    raise Forbidden(
                        _("Separation of duties: you act for the applicant organisation.")
                    )
                if (
                    AuditEntry.objects.filter(
                        application=app, actor=actor, action="review.decision"
                    )
                    .exclude(level=level)
                    .exists()
                ):
                    raise Forbidden(
                        _(
                            "Separation of duties: you already decided this application at another level."
                        )
                    )

                task.data.update(
                    decision=decision,
                    comment=comment,
                    decided_by=actor.pk,
                    decided_by_name=actor.username,
                    decided_at=timezone.now().isoformat(),
                )
                task.save(update_fields=["data"])
                process.refresh_from_db()
                process.data["last_decision"] = {
                    "decision": decision,
                    "comment": comment,
                    "actor": actor.pk,
                    "level": level,
                    "level_index": task.data["level_index"],
                }
                process.save(update_fields=["data"])
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
                if task.status == STATUS.NEW:
                    activation.assign(actor)
                activation.start(None)
                activation.execute()
        except FlowLockFailed:
            raise Conflict(
                _("Another decision on this application is in progress; try again.")
            ) from None
    return Application.objects.get(pk=application.pk)


def application_finish(*, process: ReviewProcess, outcome: str) -> None:
    """The chain ended: approved after the last level, or returned/rejected at one."""
    last = process.data.get("last_decision", {})
    app = Application.objects.select_related("organization", "program").get(
        pk=process.application_id
    )
    actor = get_user_model().objects.filter(pk=last.get("actor")).first()
    if app.program.kind == ProgramKind.VOUCHER:
        from agencies.services import voucher_claim_finishing

        # a voucher claim: its voucher's budget hold is released before the award is committed
        voucher_claim_finishing(application=app, outcome=outcome, actor=actor)
    if outcome == "approved" and app.program.kind == ProgramKind.NAVIGATION:
        from navigation.services import eligibility_passed

        # the chain was the eligibility review; experts, notice and region sign-off follow
        eligibility_passed(application=app, actor=actor, level=last.get("level", ""))
        return
    if outcome == "approved":
        from finance.services import award_commit  # same transaction; BudgetExceeded rolls back

        if not award_commit(application=app, actor=actor):
            return  # waits in the programme's merit queue (择优) until budget is added
    from grants.services import application_conclude, certificate_release

    application_conclude(
        application=app,
        to_status=OUTCOME_STATUS[outcome],
        actor=actor,
        role=Role.REVIEWER,
        level=last.get("level", ""),
        comment=last.get("comment", ""),
        data={"round": process.round},
    )
    if outcome == "rejected":
        certificate_release(application=app)
    applicants = [
        m.user
        for m in Membership.objects.filter(organization=app.organization).select_related("user")
    ]
    notify(
        users=applicants,
        kind=outcome,
        application=app,
        context={
            "level_label": level_label(last.get("level", "")),
            "comment": last.get("comment", ""),
        },
    )
    if outcome in (
        "approved",
        "rejected",
    ):  # award letter / refusal notice, by a worker after commit
        from letters.services import letter_enqueue

        letter_enqueue(application=app, kind="award" if outcome == "approved" else "refusal")


def review_overdue(*, host_task: Task) -> None:
    """A level missed its deadline: flag the task and tell the level above (administrators above the last)."""
    process = ReviewProcess.objects.select_related("application__organization__district").get(
        pk=host_task.process_id
    )
    app = process.application
    level = host_task.data["level"]
    host_task.data["overdue"] = True
    host_task.save(update_fields=["data"])
    index = host_task.data["level_index"]
    if index + 1 < len(process.chain):
        above_level = process.chain[index + 1]
        recipients = reviewers_at(above_level, app.organization.district)
    else:
        above_level = "admin"
        recipients = list(
            get_user_model()
            .objects.filter(Q(is_superuser=True) | Q(roles__role=Role.ADMIN), is_active=True)
            .distinct()
        )
    audit_record(
        actor=None,
        action="review.overdue",
        obj=app,
        application=app,
        role="system",
        level=level,
        data={
            "task": host_task.pk,
            "deadline": host_task.data.get("deadline"),
            "escalated_to": above_level,
        },
    )
    deadline = task_deadline(host_task)
    notify(
        users=recipients,
        kind=Notification.Kind.OVERDUE,
        application=app,
        context={
            "level_label": level_label(level),
            "deadline": timezone.localtime(deadline).strftime("%Y-%m-%d") if deadline else "",
        },
    )


def reviewer_permissions_sync(user) -> None:
    """Make the guardian object permissions equal the user's reviewer role rows (after admin edits)."""
    from guardian.shortcuts import get_objects_for_user

    wanted = set(
        RoleAssignment.objects.filter(user=user, role=Role.REVIEWER).values_list(
            "jurisdiction_id", flat=True
        )
    )
    have = {
        j.pk
        for j in get_objects_for_user(
            user,
            REVIEW_PERMISSION,
            klass=Jurisdiction,
            accept_global_perms=False,
            with_superuser=False,
        )
    }
    for code in wanted - have:
        assign_perm(REVIEW_PERMISSION, user, Jurisdiction.objects.get(pk=code))
    for code in have - wanted:
        remove_perm(REVIEW_PERMISSION, user, Jurisdiction.objects.get(pk=code))
    user.__dict__.pop("_fundflow_review_jurisdictions", None)
