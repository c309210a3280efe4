"""Milestone actions: plan a contract's milestones with their tranches, the applicant's report,
the reviewers' decisions level by level, the overdue sweep.

A step any programme may use. The milestones' review chain is the programme's: the caller
passes it (``levels``, e.g. ``["city"]``). What the last accepted milestone means for the
application (navigation: the project's acceptance and its certificate) is the caller's.
Money moves only through ``finance.services.tranches``: a milestone accepted at the last
level commits its tranche. The audit actions keep the ``navigation.*`` names under which the
existing audit chain recorded them.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from finance.services.tranches import tranche_commit, tranche_plan
from grants.audit import audit_record
from grants.errors import Conflict, Forbidden, InvalidInput
from grants.models import Application, Level, Membership, Program, Role
from grants.notifications import notify
from grants.reviewers import administrators, reviewers_at
from grants.selectors import applications_visible_to, is_member, reviewer_jurisdictions
from grants.services import clean_text
from milestones.models import Contract, Milestone

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
DECISIONS = ("approve", "return")
OPEN = (Milestone.Status.PENDING, Milestone.Status.RETURNED)


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _members(organization_id: int) -> list:
    return [
        m.user
        for m in Membership.objects.filter(organization_id=organization_id).select_related("user")
    ]


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus whole months, on the month's last day when it is shorter (31 Jan + 1 → 28 Feb)."""
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# ---------------------------------------------------------------- the plan


def contract_plan(
    *, actor, application: Application, milestones: list[dict], starts_on: dt.date
) -> Contract:
    """The contract of an award: its milestones (``[{"code", "label", "label_en", "share",
    "due_months"}]``, shares in per cent adding up to 100) each with a tranche of the award
    (the last one takes the rounding, so they add up). Nothing is committed yet: each tranche
    is committed when its milestone is accepted."""
    with transaction.atomic():
        award = application.award_amount
        if award is None:
            raise Conflict(_("The award is not decided yet."))
        amounts = [
            (award * m["share"] / 100).quantize(CENT, rounding=ROUND_HALF_UP) for m in milestones
        ]
        amounts[-1] = award - sum(amounts[:-1], ZERO)  # the last tranche takes the rounding
        tranches = tranche_plan(
            application=application,
            parts=[
                {"label": m["label"], "condition": _("Milestone accepted"), "amount": a}
                for m, a in zip(milestones, amounts, strict=True)
            ],
            actor=actor,
            role=Role.REVIEWER,
        )
        contract = Contract.objects.create(
            project=application,
            number=f"{application.number}-HT",
            amount=award,
            starts_on=starts_on,
        )
        for i, (m, tranche) in enumerate(zip(milestones, tranches, strict=True)):
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
            application=application,
            role="system",
            data={
                "number": contract.number,
                "amount": _money(award),
                "milestones": [
                    {"label": m["label"], "share": m["share"], "amount": _money(a)}
                    for m, a in zip(milestones, amounts, strict=True)
                ],
            },
        )
        return contract


# ---------------------------------------------------------------- reads


def milestone_level(milestone: Milestone, levels: Sequence[str]) -> str:
    """The review level a submitted milestone waits at, in the programme's chain ``levels``."""
    return levels[min(milestone.level_index, len(levels) - 1)]


def reviews_milestone_at(user, milestone: Milestone, levels: Sequence[str]) -> bool:
    """The user reviews at the milestone's current level, in a jurisdiction covering the applicant."""
    level = milestone_level(milestone, levels)
    district = milestone.contract.project.organization.district
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


def contract_accepted(contract: Contract) -> bool:
    """Every milestone of the contract is accepted."""
    return not contract.milestones.exclude(status=Milestone.Status.ACCEPTED).exists()


def milestones_to_decide(user, levels_for: Callable[[Program], Sequence[str]]) -> list[Milestone]:
    """Submitted milestone reports waiting for ``user``'s decision (one query), oldest first.

    A read for the reviewer's pages: only applications the user sees (``grants.selectors``),
    at the user's level and jurisdiction; ``levels_for`` gives a programme's milestone chain
    (asked once per programme). Separation of duties is left to ``milestone_decide``.
    """
    if not reviewer_jurisdictions(user):
        return []
    qs = (
        Milestone.objects.filter(
            status=Milestone.Status.SUBMITTED,
            contract__project__in=applications_visible_to(user).values("pk"),
        )
        .select_related(
            "tranche",
            "contract__project__program",
            "contract__project__organization__district",
        )
        .order_by("submitted_at", "pk")
    )
    chains: dict[int, Sequence[str]] = {}
    out = []
    for m in qs:
        program = m.contract.project.program
        if program.pk not in chains:
            chains[program.pk] = levels_for(program)
        if reviews_milestone_at(user, m, chains[program.pk]):
            out.append(m)
    return out


# ---------------------------------------------------------------- report and decisions


def _milestone_locked(milestone: Milestone) -> Milestone:
    return (
        Milestone.objects.select_for_update(of=("self",))
        .select_related(
            "contract__project__organization__district",
            "contract__project__program",
            "tranche",
        )
        .get(pk=milestone.pk)
    )


def milestone_submit(
    *, actor, milestone: Milestone, report: str, levels: Sequence[str]
) -> Milestone:
    """The applicant reports on a milestone; it goes to the first level of ``levels``."""
    report = clean_text(report, "report")
    with transaction.atomic():
        milestone = _milestone_locked(milestone)
        app = milestone.contract.project
        if not is_member(actor, app.organization_id):
            raise Forbidden(_("Only the applicant organisation reports on its milestones."))
        if milestone.status not in OPEN:
            raise Conflict(_("The milestone is %(s)s.") % {"s": milestone.get_status_display()})
        if waits_for_earlier(milestone):
            raise Conflict(_("The earlier milestones must be accepted first."))
        from_status = milestone.status
        milestone.status = Milestone.Status.SUBMITTED
        milestone.report = report
        milestone.level_index = 0
        milestone.submitted_at = timezone.now()
        milestone.save(update_fields=["status", "report", "level_index", "submitted_at"])
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


def milestone_decide(
    *, actor, milestone: Milestone, decision: str, comment: str = "", levels: Sequence[str]
) -> Milestone:
    """A reviewer of the milestone's current level approves or returns it (like an application).

    Approval at the last level of ``levels`` accepts it and commits its tranche through the
    ledger (refused, and rolled back, when the budget cannot cover it). Whether that was the
    contract's last milestone is the caller's to act on (``contract_accepted``), in the same
    transaction.
    """
    if decision not in DECISIONS:
        raise InvalidInput([{"field": "decision", "message": _("Use approve or return.")}])
    comment = clean_text(comment, "comment", required=decision == "return")
    with transaction.atomic():
        milestone = _milestone_locked(milestone)
        app = milestone.contract.project
        if milestone.status != Milestone.Status.SUBMITTED:
            raise Conflict(
                _("The milestone is %(s)s; nothing to decide.")
                % {"s": milestone.get_status_display()}
            )
        level = levels[milestone.level_index]
        district = app.organization.district
        if not reviews_milestone_at(actor, milestone, levels):
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
            tranche_commit(tranche=milestone.tranche, actor=actor, role=Role.REVIEWER)
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
    the city reviewers and the administrators are told. Run hourly by Celery beat."""
    today = today or timezone.localdate()
    count = 0
    due = Milestone.objects.filter(
        due_on__lt=today, status__in=OPEN, escalated_at__isnull=True
    ).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            milestone = _milestone_locked(Milestone(pk=pk))
            if milestone.escalated_at or milestone.status not in OPEN:
                continue
            app = milestone.contract.project
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
