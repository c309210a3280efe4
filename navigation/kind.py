"""The patent navigation programme kind (专利导航): its hooks into the shared lifecycle.

A navigation application is a joint project (``navigation.models.NavigationProject``): its
partners confirm before it is submitted, the review chain checks eligibility, and the award
is decided by experts, the city's selection, a public notice and the region's sign-off
(``navigation.services.selection`` and ``.award``, with the ``experts``, ``notices`` and
``milestones`` steps) instead of the chain's last approval. Registered by
``NavigationConfig.ready()`` together with the web hooks of ``navigation.views``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from experts.models import ExpertReview
from finance.models import LedgerEntry
from grants.errors import Conflict
from grants.kinds import KindHooks
from grants.models import Application, Program, Role, Status
from grants.selectors import has_role
from letters.models import Letter, LetterKind
from letters.services import amount_in_capitals, chinese_date
from milestones.models import Contract
from navigation.models import NavigationConfig, NavigationProject, Partner, Stage
from navigation.selectors import config_for
from navigation.services.joint import JOINT_FIELDS, eligibility_passed, project_submitted

AWARDED = (Status.APPROVED, Status.AWARDED, Status.PAID)


def on_submit(application: Application) -> None:
    project_submitted(application=application)


def on_withdraw(application: Application, actor: Any) -> None:
    """A joint project may be withdrawn while its eligibility is reviewed; once experts are
    drawn the call's own steps hold it (ranking, notice, objections), and it leaves them only
    through the city's selection or an upheld objection."""
    stage = (
        NavigationProject.objects.filter(pk=application.pk).values_list("stage", flat=True).first()
    )
    if stage is not None and stage != Stage.ELIGIBILITY:
        raise Conflict(
            _(
                "The joint project is past its eligibility review (%(stage)s); ask the programme "
                "office to take it out of the call."
            )
            % {"stage": Stage(stage).label}
        )


def on_final_approval(application: Application, actor: Any, level: str) -> bool:
    """The chain was the eligibility review: experts, notice and sign-off decide the award."""
    eligibility_passed(application=application, actor=actor, level=level)
    return False


def visibility(user: Any, organizations: Any) -> Q:
    """Partner agencies see a joint application (they confirm before submission); an expert
    drawn for a project sees it once they declared no conflict. Nothing for someone who
    acts for no organisation and is no expert (no subquery: finance's lists stay flat)."""
    condition = Q()
    if not isinstance(organizations, list) or organizations:
        condition |= Q(
            pk__in=Partner.objects.filter(organization_id__in=organizations).values("project_id")
        )
    if has_role(user, Role.EXPERT):
        condition |= Q(
            pk__in=ExpertReview.objects.filter(
                expert__user=user,
                status__in=(ExpertReview.Status.DECLARED, ExpertReview.Status.SUBMITTED),
            ).values("project_id")
        )
    return condition


def accepted(application: Application) -> bool:
    """The acceptance certificate may be issued: awarded, and the last milestone accepted."""
    return (
        application.status in AWARDED
        and NavigationProject.objects.filter(pk=application.pk, stage=Stage.ACCEPTED).exists()
    )


def _project_title(industry: str) -> str:
    return f"{industry}{'' if industry.endswith('产业') else '产业'}专利导航项目"


def acceptance_facts(letter: Letter) -> dict[str, Any]:
    """What an acceptance certificate states besides the letter's own facts: the partner
    agencies, industry, contract, each milestone with its acceptance date and tranche, and the
    money paid. Payments count up to the numbering time, so a retried render says the same."""
    project = (
        NavigationProject.objects.filter(pk=letter.application_id)
        .prefetch_related("partners__organization")
        .first()
    )
    if project is None:
        return {}
    contract = Contract.objects.filter(project_id=project.pk).first()
    milestones = (
        list(contract.milestones.select_related("tranche").order_by("position")) if contract else []
    )
    paid_ids = set(
        LedgerEntry.objects.filter(
            kind=LedgerEntry.Kind.PAY,
            tranche_id__in=[m.tranche_id for m in milestones],
            created_at__lte=letter.created_at,
        ).values_list("tranche_id", flat=True)
    )
    paid = sum((m.tranche.amount for m in milestones if m.tranche_id in paid_ids), Decimal("0.00"))
    return {
        "title": _project_title(project.industry),
        "industry": project.industry,
        "partners": [
            {"name": p.organization.name, "uscc": p.organization.uscc}
            for p in project.partners.all()
        ],
        "contract_number": contract.number if contract else "",
        "milestones": [
            {
                "position": m.position,
                "label": m.label,
                "due_on": m.due_on.strftime("%Y-%m-%d"),
                "accepted_on": timezone.localtime(m.accepted_at).strftime("%Y-%m-%d")
                if m.accepted_at
                else "",
                "amount_figures": f"{m.tranche.amount:,.2f}",
                "paid": m.tranche_id in paid_ids,
            }
            for m in milestones
        ],
        "accepted_date": chinese_date(project.accepted_at) if project.accepted_at else "",
        "tranche_count": len(milestones),
        "paid_count": len(paid_ids),
        "paid_figures": f"{paid:,.2f}",
        "paid_capitals": amount_in_capitals(paid),
    }


def letter_context(letter: Letter) -> dict[str, Any]:
    if letter.kind == LetterKind.ACCEPTANCE:
        return {"project": acceptance_facts(letter)}
    return {}


def steps_read(program: Program) -> dict[str, Any]:
    """The navigation programme's steps (its ``NavigationConfig``) in the definition's shape."""
    config = config_for(program)
    return {
        "expert_review": {
            "experts_per_application": config.experts_per_application,
            "criteria": list(config.criteria),
        },
        "public_notice": {
            "working_days": config.notice_working_days,
            "target_count": config.target_count,
        },
        "milestones": {
            "milestones": list(config.milestones),
            "levels": list(config.milestone_levels),
        },
    }


def steps_write(program: Program, steps: dict[str, Any]) -> None:
    """A definition's steps into the programme's ``NavigationConfig`` (checked already)."""
    review = steps.get("expert_review") or {}
    notice = steps.get("public_notice") or {}
    plan = steps.get("milestones") or {}
    defaults: dict[str, Any] = {}
    if review:
        defaults.update(
            experts_per_application=review["experts_per_application"],
            criteria=review["criteria"],
        )
    if notice:
        defaults["notice_working_days"] = notice["working_days"]
        if notice.get("target_count"):
            defaults["target_count"] = notice["target_count"]
    if plan:
        defaults.update(milestones=plan["milestones"], milestone_levels=plan["levels"])
    NavigationConfig.objects.update_or_create(program=program, defaults=defaults)


def hooks(**web: Any) -> KindHooks:
    """The navigation kind's hooks; ``web`` adds those of the pages (portal, inbox, links)."""
    return KindHooks(
        on_submit=on_submit,
        on_withdraw=on_withdraw,
        on_final_approval=on_final_approval,
        visibility=visibility,
        award_template="navigation",
        letter_kinds={LetterKind.ACCEPTANCE: accepted},
        letter_context=letter_context,
        derived_fields=JOINT_FIELDS,
        steps_read=steps_read,
        steps_write=steps_write,
        **web,
    )
