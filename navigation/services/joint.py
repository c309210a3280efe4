"""The joint application of a navigation project: lead organisation, partner agencies that
confirm, industry, deliverables and budget plan by year; the submission guard and the end of
the eligibility review (on to the expert review).

One function per action, keyword-only; guard first, then change; every change writes its
audit row in the same transaction; notifications are rows in the same transaction and
e-mails after commit.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from experts.models import INDUSTRIES
from grants.audit import audit_record
from grants.errors import Conflict, Forbidden, InvalidInput, NotFound
from grants.models import (
    EDITABLE_STATUSES,
    Application,
    Organization,
    OrganizationKind,
    Program,
    ProgramKind,
    Role,
    Status,
)
from grants.notifications import notify
from grants.reviewers import administrators
from grants.selectors import is_member
from grants.services import (
    application_create,
    clean_cost_lines,
    clean_fields,
    parse_money,
)
from grants.transitions import transition
from navigation.models import NavigationProject, Partner, Stage
from navigation.selectors import admitted_agencies

ZERO = Decimal("0.00")
LEAD_KINDS = (
    OrganizationKind.PARK,
    OrganizationKind.ASSOCIATION,
    OrganizationKind.ALLIANCE,
    OrganizationKind.ENTERPRISE,
)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _members_of(organization_ids: list[int]) -> list:
    """The active people acting for any of the organisations (each once)."""
    return list(
        get_user_model()
        .objects.filter(memberships__organization_id__in=organization_ids, is_active=True)
        .distinct()
        .order_by("pk")
    )


def lock_project(application_id: int) -> NavigationProject:
    """Lock the project's application row (the one lock order of an application's actions) and
    load the project with its programme, lead organisation and partners."""
    Application.objects.select_for_update().filter(pk=application_id).exists()
    return (
        NavigationProject.objects.select_related(
            "application__program", "application__organization__district"
        )
        .prefetch_related("partners__organization")
        .get(pk=application_id)
    )


# ---------------------------------------------------------------- joint application


def _clean_budget_plan(plan: Any) -> list[dict]:
    if not isinstance(plan, list) or not plan:
        raise InvalidInput(
            [{"field": "budget_plan", "message": _("Give the budget for at least one year.")}]
        )
    rows, years, errors = [], set(), []
    for i, row in enumerate(plan):
        year = row.get("year") if isinstance(row, dict) else None
        if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
            errors.append(
                {"field": f"budget_plan[{i}].year", "message": _("A year from 2000 to 2100.")}
            )
            continue
        if year in years:
            errors.append({"field": f"budget_plan[{i}].year", "message": _("A year twice.")})
        years.add(year)
        try:
            amount = parse_money(row.get("amount"), f"budget_plan[{i}].amount")
        except InvalidInput as exc:
            errors.extend(exc.errors)
            continue
        rows.append({"year": year, "amount": f"{amount:.2f}"})
    if errors:
        raise InvalidInput(errors)
    return sorted(rows, key=lambda r: r["year"])


def _clean_deliverables(value: Any) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise InvalidInput(
            [{"field": "deliverables", "message": _("List at least one deliverable.")}]
        )
    items = [v.strip()[:300] for v in value if v.strip()]
    if not items:
        raise InvalidInput(
            [{"field": "deliverables", "message": _("List at least one deliverable.")}]
        )
    return items


# Application fields a joint application copies from the project record (which the expert
# draw and the letters read); the applicant's form cannot edit them (``KindHooks.derived_fields``).
JOINT_FIELDS = ("industry", "partner_agency", "deliverables")


def _collect(errors: list[dict], clean, *args, **kwargs):
    """Run a cleaner, adding its errors to ``errors`` (so one answer names every bad field)."""
    try:
        return clean(*args, **kwargs)
    except InvalidInput as exc:
        errors.extend(exc.errors)
        return None


def project_create(
    *,
    actor,
    program_code: str,
    organization_id: int,
    partner_ids: list[int],
    industry: str,
    budget_plan: Any,
    deliverables: Any,
    fields: dict | None = None,
    cost_lines: list | None = None,
) -> NavigationProject:
    """A joint application as a draft: lead organisation, partner agencies, industry, plan.

    Every bad input is reported at once (the project's own, the programme's fields and the
    cost lines). Each partner agency's people are told (in-app, e-mail after commit)."""
    program = Program.objects.filter(code=program_code, kind=ProgramKind.NAVIGATION).first()
    if program is None:
        raise InvalidInput(
            [
                {
                    "field": "program",
                    "message": _("Not a navigation programme: %(p)s") % {"p": program_code},
                }
            ]
        )
    errors = []
    if industry not in INDUSTRIES:
        errors.append(
            {"field": "industry", "message": _("One of: %(i)s") % {"i": "、".join(INDUSTRIES)}}
        )
    lead = Organization.objects.filter(pk=organization_id).first()
    if lead is not None and lead.kind not in LEAD_KINDS:
        errors.append(
            {
                "field": "organization",
                "message": _("A park, association, alliance or enterprise leads the project."),
            }
        )
    partner_ids = list(dict.fromkeys(partner_ids or []))
    partners = {o.pk: o for o in Organization.objects.filter(pk__in=partner_ids)}
    if not partner_ids:
        errors.append({"field": "partners", "message": _("Name at least one partner agency.")})
    admitted = set(admitted_agencies().filter(pk__in=partner_ids).values_list("pk", flat=True))
    for i, pk in enumerate(partner_ids):
        if pk not in admitted or pk == organization_id:
            errors.append(
                {
                    "field": f"partners[{i}]",
                    "message": _(
                        "A partner is an IP service agency admitted to the service cluster, "
                        "other than the lead."
                    ),
                }
            )
    plan = _collect(errors, _clean_budget_plan, budget_plan)
    items = _collect(errors, _clean_deliverables, deliverables)
    if errors:  # the programme's fields and cost lines too, checked again when the draft is made
        own = {k: v for k, v in (fields or {}).items() if k not in JOINT_FIELDS}
        _collect(errors, clean_fields, program, own, require_all=False)
        _collect(errors, clean_cost_lines, program, cost_lines or [])
        raise InvalidInput(errors)
    fields = dict(fields or {})
    fields["industry"] = industry
    fields["partner_agency"] = "、".join(partners[pk].name for pk in partner_ids)
    fields["deliverables"] = "；".join(items)[:2000]
    with transaction.atomic():
        application = application_create(
            actor=actor,
            program_code=program.code,
            organization_id=organization_id,
            fields=fields,
            cost_lines=cost_lines or [],
        )
        project = NavigationProject.objects.create(
            application=application, industry=industry, deliverables=items, budget_plan=plan
        )
        Partner.objects.bulk_create(
            [Partner(project=project, organization_id=pk) for pk in partner_ids]
        )
        audit_record(
            actor=actor,
            action="navigation.create",
            obj=project,
            application=application,
            role=Role.APPLICANT,
            data={
                "industry": industry,
                "partners": partner_ids,
                "budget_plan": plan,
                "deliverables": items,
            },
        )
        # the people of each partner agency (not the applicant who named it, if one of them)
        notify(
            users=[
                user for user in _members_of(partner_ids) if user.pk != getattr(actor, "pk", None)
            ],
            kind="partner_named",
            application=application,
            context={"lead": application.organization},
        )
    return project


def partner_confirm(*, actor, project: NavigationProject, organization_id: int) -> Partner:
    """A partner agency confirms its participation (by someone who acts for it)."""
    with transaction.atomic():
        project = lock_project(project.pk)
        partner = project.partners.filter(organization_id=organization_id).first()
        if partner is None:
            raise NotFound(_("This organisation is not a partner of the project."))
        if not is_member(actor, organization_id):
            raise Forbidden(_("Only someone acting for the partner agency confirms."))
        if project.application.status not in EDITABLE_STATUSES:
            raise Conflict(_("The application was already submitted."))
        if partner.confirmed_at:
            return partner
        partner.confirmed_at = timezone.now()
        partner.confirmed_by = actor
        partner.save(update_fields=["confirmed_at", "confirmed_by"])
        audit_record(
            actor=actor,
            action="navigation.partner_confirm",
            obj=partner,
            application=project.application,
            role=Role.APPLICANT,
            data={"organization": organization_id},
        )
    return partner


def project_submitted(*, application: Application) -> None:
    """Guard of ``grants.services.application_submit`` for navigation (same transaction):
    every partner confirmed and the budget plan covers the costs; then eligibility review."""
    project = NavigationProject.objects.filter(application=application).first()
    if project is None:
        raise Conflict(_("A navigation application is created as a joint application."))
    waiting = [
        p.organization.name
        for p in project.partners.select_related("organization")
        if not p.confirmed_at
    ]
    if waiting:
        raise Conflict(
            _("Partner agencies have not confirmed their participation: %(p)s")
            % {"p": "、".join(waiting)}
        )
    costs = sum((c.amount for c in application.cost_lines.all()), ZERO)
    if project.budget_total != costs:
        raise InvalidInput(
            [
                {
                    "field": "budget_plan",
                    "message": _(
                        "The budget plan (¥%(plan)s) must equal the cost lines (¥%(cost)s)."
                    )
                    % {"plan": _money(project.budget_total), "cost": _money(costs)},
                }
            ]
        )
    if project.stage != Stage.ELIGIBILITY:
        NavigationProject.objects.filter(pk=project.pk).update(stage=Stage.ELIGIBILITY)


def eligibility_passed(*, application: Application, actor, level: str) -> None:
    """The eligibility chain (ReviewFlow) approved at its last level: on to expert review.

    The kind's ``on_final_approval`` hook (``navigation.kind``), called by
    ``workflows.lifecycle.finish`` instead of the budget commitment: a navigation award is
    final only after the notice and the region's sign-off.
    """
    project = NavigationProject.objects.get(pk=application.pk)
    project.stage = Stage.EXPERT_REVIEW
    project.save(update_fields=["stage"])
    # still in review, at no level of the chain: the call's own steps hold it now
    transition(
        application,
        to=Status.IN_REVIEW,
        level="",
        audit_level=level,
        actor=actor,
        role=Role.REVIEWER,
        action="navigation.eligible",
        obj=project,
        data={"stage": Stage.EXPERT_REVIEW},
    )
    notify(users=administrators(), kind="navigation_eligible", application=application)
