"""Web pages of the navigation programme.

Public: the notice (no login) with its objection form. For the people who do the work:
partner agencies confirm joint projects, experts declare then score, the city selects on
the ranking and resolves objections, the region signs off on the notice page, applicants
report on milestones and reviewers decide them.

Every change goes through ``navigation.services``, whose domain errors carry translated
messages; applications are read through ``grants.selectors`` (not visible: 404). A bad
form is shown again with the errors at their fields and what was typed kept; a change
ends in a redirect (POST-redirect-GET).
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from experts.models import Expert, ExpertReview
from grants.audit import AuditEntry
from grants.errors import DomainError, InvalidInput, NotFound
from grants.models import (
    EDITABLE_STATUSES,
    Level,
    Membership,
    Organization,
    OrganizationKind,
    Program,
    ProgramKind,
    Role,
)
from grants.pages import forbidden, refusal_message, refusal_status
from grants.portal import (
    cost_rows,
    errors_by_field,
    field_specs,
    posted_cost_lines,
    posted_fields,
)
from grants.reviewers import level_label
from grants.selectors import applications_visible_to, has_role, is_member, reviewer_jurisdictions
from milestones import services as milestone_steps
from milestones.models import Milestone
from navigation.models import NavigationProject, Partner, Stage
from navigation.presenters import milestone_dict, notice_dict, project_dict, ranking_dict
from navigation.selectors import (
    RESOLVES_OBJECTIONS,
    SELECTS,
    SIGNS_OFF,
    admitted_agencies,
    config_for,
    decides,
    industries_for,
    may,
    milestone_levels,
    navigation_notices,
    navigation_program,
    notice_entries,
    own_review,
    visible_project,
)
from navigation.services import award, joint
from navigation.services import selection as selecting
from notices.models import Notice, Objection
from workflows import lifecycle

FIX_FIELDS = gettext_lazy("Please correct the marked fields; nothing was saved.")
OUTCOMES = (
    (Objection.Status.DISMISSED, gettext_lazy("Dismiss")),
    (Objection.Status.UPHELD, gettext_lazy("Uphold: withdraw the project from the notice")),
)
MILESTONE_DECISIONS = (
    ("approve", gettext_lazy("Accept")),
    ("return", gettext_lazy("Return for changes")),
)
CHOOSE_A_DECISION = gettext_lazy("Choose a decision")
# A milestone's audit rows: written as "navigation.milestone" before the model moved to the
# milestones app (the audit chain is never rewritten), as "milestones.milestone" since.
MILESTONE_OBJECT_TYPES = (Milestone._meta.label_lower, "navigation.milestone")


def _or_404(lookup, *args):
    """The API's look-ups raise the domain ``NotFound``; a page answers 404."""
    try:
        return lookup(*args)
    except NotFound as exc:
        raise Http404(exc.detail) from None


# ---------------------------------------------------------------- links per role


def navigation_links(user) -> list[dict[str, Any]]:
    """Where each role finds its navigation pages (home page)."""
    if not getattr(user, "is_authenticated", False):
        return []
    links = []
    if has_role(user, Role.EXPERT):
        links.append({"url": reverse("navigation-reviews"), "label": _("My expert reviews")})
    if _my_partnerships(user).exists():
        links.append(
            {"url": reverse("navigation-partners"), "label": _("Joint projects naming my agency")}
        )
    if may(user, SELECTS + SIGNS_OFF) or has_role(user, Role.FINANCE, Role.AUDITOR):
        for program in Program.objects.filter(kind=ProgramKind.NAVIGATION, is_active=True):
            links.append(
                {
                    "url": reverse("navigation-ranking", args=[program.code]),
                    "label": _("Ranking and selection: %(p)s") % {"p": program.display_name},
                }
            )
    if reviewer_jurisdictions(user):
        links.append(
            {"url": reverse("navigation-milestones"), "label": _("Milestone reports to decide")}
        )
    links.append({"url": reverse("navigation-notices"), "label": _("Public notices")})
    return links


def inbox_block(user) -> dict[str, Any]:
    """The navigation part of a reviewer's inbox: milestone reports to decide (one query), and
    for the city and the region the open notices (objections to resolve, sign-off due)."""
    block: dict[str, Any] = {
        "template": "navigation/_inbox_block.html",
        "milestones": milestone_steps.milestones_to_decide(user, milestone_levels),
    }
    if may(user, RESOLVES_OBJECTIONS + SIGNS_OFF):
        block["programs"] = list(
            Program.objects.filter(kind=ProgramKind.NAVIGATION, is_active=True)
        )
        block["notices"] = list(
            Notice.objects.filter(status=Notice.Status.OPEN, program__kind=ProgramKind.NAVIGATION)
            .annotate(open_objections=Count("objections", filter=Q(objections__status="open")))
            .order_by("ends_at")
        )
        block["now"] = timezone.now()
    return block


def portal_home(user) -> dict[str, Any] | None:
    """The portal-home block: joint projects naming an agency the user acts for."""
    summary = partner_summary(user)
    if not summary["total"]:
        return None
    return {"template": "navigation/_portal_block.html", "partner_projects": summary}


def portal_panel(app, user) -> dict[str, Any] | None:
    panel = project_panel(app, user)
    return None if panel is None else {"template": "navigation/_project_panel.html", **panel}


def apply_link(program) -> dict[str, str]:
    """A navigation programme is applied for jointly, on its own form."""
    return {
        "url": reverse("navigation-apply", args=[program.code]),
        "label": _("Apply jointly"),
        "note": _(
            "A joint application with one or more IP service agencies admitted to the service "
            "cluster; every partner agency must confirm its participation before you can submit."
        ),
    }


# ---------------------------------------------------------------- the joint application


def _number_or_raw(raw: str) -> int | str:
    """An id or a year as typed: a whole number when it is one (ASCII digits, bounded), else the
    text itself, which the service names as the error at its field."""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else raw


def _posted_id(raw: str) -> int:
    """A posted id; 0 (no such row, refused by the service) when it is not a whole number."""
    value = _number_or_raw(raw.strip())
    return value if isinstance(value, int) else 0


def _posted_budget_rows(post) -> list[dict[str, str]]:
    rows = []
    for year, amount in zip(post.getlist("plan_year"), post.getlist("plan_amount"), strict=False):
        if year.strip() or amount.strip():  # an empty row is no row
            rows.append({"year": year.strip(), "amount": amount.strip()})
    return rows


# the application fields a joint application fills in, shown at the form's own inputs
JOINT_FIELD_INPUTS = {
    "industry": "industry",
    "partner_agency": "partners",
    "deliverables": "deliverables",
}


def _apply_context(program, *, form, errors, orgs):
    joint_fields = set(joint.JOINT_FIELDS)
    errors = dict(errors or {})
    for name, shown_at in JOINT_FIELD_INPUTS.items():
        if f"fields.{name}" in errors:
            errors[shown_at] = errors.get(shown_at, []) + errors.pop(f"fields.{name}")
    plan_rows = []
    for i, row in enumerate(form["budget_plan"]):
        year = errors.get(f"budget_plan[{i}].year", [])
        amount = errors.get(f"budget_plan[{i}].amount", [])
        plan_rows.append(
            row | {"year_bad": bool(year), "amount_bad": bool(amount), "errors": year + amount}
        )
    plan_rows = plan_rows or [{"year": "", "amount": "", "errors": []}]
    shown = {"organization", "partners", "industry", "deliverables", "budget_plan"}
    other_errors = [
        m
        for key, msgs in errors.items()
        if key not in shown
        and not key.startswith(("partners[", "budget_plan[", "fields.", "cost_lines["))
        for m in msgs
    ]
    return {
        "program": program,
        "form": form,
        "errors": errors,
        "other_errors": other_errors,
        "partner_errors": [
            m
            for key, msgs in errors.items()
            if key == "partners" or key.startswith("partners[")
            for m in msgs
        ],
        "organizations": orgs,
        "agencies": list(admitted_agencies()),
        "industries": industries_for(program),
        "plan_rows": plan_rows,
        "field_specs": [
            f for f in field_specs(program, form["fields"], errors) if f["name"] not in joint_fields
        ],
        "cost_rows": cost_rows(program, form["cost_lines"], errors),
        "cost_kinds": list(program.cost_line_kinds.all()),
        "lead_kinds": [OrganizationKind(k).label for k in joint.LEAD_KINDS],
    }


@login_required
def project_apply(request, code: str):
    """The joint application form of a navigation programme: lead organisation, partner
    agencies, industry, deliverables, budget plan by year, the programme's other fields and the
    cost lines. ``navigation.services.joint.project_create`` makes the draft; its errors are shown at
    their fields with everything typed kept."""
    program = Program.objects.filter(code=code, kind=ProgramKind.NAVIGATION, is_active=True).first()
    if program is None:
        raise Http404(_("No such programme."))
    orgs = list(
        Organization.objects.filter(
            memberships__user=request.user, kind__in=joint.LEAD_KINDS
        ).order_by("name", "pk")
    )
    form: dict[str, Any] = {
        "organization": str(orgs[0].pk) if len(orgs) == 1 else "",
        "partners": [],
        "industry": "",
        "deliverables": "",
        "budget_plan": [],
        "fields": {},
        "cost_lines": [],
    }
    errors: dict[str, list[str]] = {}
    if request.method == "POST" and orgs:
        form = {
            "organization": request.POST.get("organization", "").strip(),
            "partners": [p.strip() for p in request.POST.getlist("partners")],
            "industry": request.POST.get("industry", "").strip(),
            "deliverables": request.POST.get("deliverables", ""),
            "budget_plan": _posted_budget_rows(request.POST),
            "fields": posted_fields(program, request.POST),
            "cost_lines": posted_cost_lines(request.POST),
        }
        organization_id = _number_or_raw(form["organization"])
        try:
            if organization_id not in {o.pk for o in orgs}:  # as the API: not yours, not named
                raise InvalidInput(
                    [
                        {
                            "field": "organization",
                            "message": _("Choose the organisation that leads the project."),
                        }
                    ]
                )
            project = joint.project_create(
                actor=request.user,
                program_code=program.code,
                organization_id=organization_id,  # type: ignore[arg-type]  # the service names a bad id at its field
                partner_ids=[_posted_id(raw) for raw in form["partners"]],
                industry=form["industry"],
                budget_plan=[
                    {"year": _number_or_raw(row["year"]), "amount": row["amount"]}
                    for row in form["budget_plan"]
                ],
                deliverables=form["deliverables"].splitlines(),
                fields={k: v for k, v in form["fields"].items() if k not in joint.JOINT_FIELDS},
                cost_lines=form["cost_lines"],
            )
        except InvalidInput as exc:
            errors = errors_by_field(exc)
        except DomainError as exc:
            errors = {"": [refusal_message(exc)]}
        else:
            messages.success(
                request,
                _(
                    "Draft %(number)s saved. Each partner agency confirms its participation; "
                    "upload the attachments, then submit."
                )
                % {"number": project.application.number},
            )
            return redirect("portal-application", pk=project.pk)
    context = _apply_context(program, form=form, errors=errors, orgs=orgs)
    return render(request, "navigation/apply.html", context)


# ---------------------------------------------------------------- partner agencies


def _my_partnerships(user):
    mine = Membership.objects.filter(user=user).values("organization_id")
    visible = applications_visible_to(user).values("pk")
    return Partner.objects.filter(organization_id__in=mine, project_id__in=visible)


def partner_summary(user) -> dict[str, int]:
    """For the portal: how many joint projects name an agency the user acts for, and how many
    of them still wait for its confirmation (one query)."""
    return _my_partnerships(user).aggregate(
        total=Count("pk"),
        waiting=Count(
            "pk",
            filter=Q(
                confirmed_at__isnull=True,
                project__application__status__in=EDITABLE_STATUSES,
            ),
        ),
    )


@login_required
def partner_list(request):
    """The joint projects naming an agency the user acts for, with its confirmation."""
    partners = (
        _my_partnerships(request.user)
        .select_related(
            "organization",
            "confirmed_by",
            "project__application__program",
            "project__application__organization",
        )
        .order_by("confirmed_at", "-project_id", "id")
    )
    rows = [
        {
            "partner": p,
            "project": p.project,
            "app": p.project.application,
            "can_confirm": p.confirmed_at is None and p.project.application.is_editable,
        }
        for p in partners
    ]
    return render(request, "navigation/partner_list.html", {"rows": rows})


@login_required
@require_POST
def partner_confirm(request, pk: int, organization_id: int):
    project = _or_404(visible_project, request.user, pk)
    try:
        partner = joint.partner_confirm(
            actor=request.user, project=project, organization_id=organization_id
        )
    except NotFound as exc:
        raise Http404(exc.detail) from None
    except DomainError as exc:
        messages.error(request, refusal_message(exc))
    else:
        messages.success(
            request,
            _("%(org)s confirmed its participation in %(number)s.")
            % {"org": partner.organization.name, "number": project.application.number},
        )
    return redirect("navigation-partners")


# ---------------------------------------------------------------- experts


def _expert_or_none(request) -> Expert | None:
    return Expert.objects.filter(user=request.user).first()


@login_required
def review_list(request):
    if _expert_or_none(request) is None:
        return forbidden(request, _("Only members of the expert pool have review assignments."))
    reviews = (
        ExpertReview.objects.filter(expert__user=request.user, project__navigation__isnull=False)
        .select_related("project__program", "project__navigation")
        .order_by("-id")
    )
    todo = (ExpertReview.Status.DRAWN, ExpertReview.Status.DECLARED)
    rows = [
        {
            "review": r,
            "open": r.status in todo and r.project.navigation.stage == Stage.EXPERT_REVIEW,
        }
        for r in reviews
    ]
    rows.sort(key=lambda row: not row["open"])
    return render(request, "navigation/review_list.html", {"rows": rows})


def _review_page(
    request,
    review: ExpertReview,
    *,
    scores: dict[str, str] | None = None,
    comment: str | None = None,
    declaration: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
    error_message: str = "",
    status: int = 200,
):
    errors = errors or {}
    project = review.project.navigation
    config = config_for(project.application.program)
    declared = review.status in (ExpertReview.Status.DECLARED, ExpertReview.Status.SUBMITTED)
    context: dict[str, Any] = {
        "review": review,
        "project": project,
        "app": None,
        "declaration": declaration or {"conflict": "", "reason": ""},
        "errors": errors,
        "error_message": error_message,
        "can_score": review.status == ExpertReview.Status.DECLARED
        and project.stage == Stage.EXPERT_REVIEW,
    }
    if review.status == ExpertReview.Status.DRAWN:
        # only who is involved, to declare against: nothing of the application's content
        context["parties"] = [project.application.organization.name] + [
            p.organization.name for p in project.partners.select_related("organization")
        ]
    # the content comes through the visibility selector, which shows it only after the declaration
    app = applications_visible_to(request.user).filter(pk=project.pk).first() if declared else None
    if app is not None:
        from workflows.views import application_content

        context.update(application_content(app))
        context.update(app=app, project_data=project_dict(project))
    typed = scores or {}
    context["criteria"] = [
        {
            "code": c["code"],
            "id": f"score-{c['code']}",
            "label": config.criterion_label(c),
            "weight": c["weight"],
            "value": typed.get(c["code"], review.scores.get(c["code"], "")),
            "errors": errors.get(f"scores.{c['code']}", []),
        }
        for c in config.criteria
    ]
    context["comment"] = review.comment if comment is None else comment
    context["other_errors"] = [
        m
        for field, msgs in errors.items()
        if not field.startswith("scores.") and field not in ("comment", "reason", "conflict")
        for m in msgs
    ]
    return render(request, "navigation/review_detail.html", context, status=status)


@login_required
def review_detail(request, pk: int):
    """The expert's assignment: declaration first; then the application and the scoring form;
    after submission, read-only. Another expert's assignment does not exist (404)."""
    review = _or_404(own_review, request.user, pk)
    if request.method != "POST":
        return _review_page(request, review)
    config = config_for(review.project.program)
    scores = {c["code"]: request.POST.get(f"score_{c['code']}", "") for c in config.criteria}
    comment = request.POST.get("comment", "")
    errors: dict[str, list[str]] = {}
    error_message, status = "", 200
    try:
        selecting.review_score(actor=request.user, review=review, scores=scores, comment=comment)
    except InvalidInput as exc:
        errors, error_message = errors_by_field(exc), str(FIX_FIELDS)
    except DomainError as exc:
        error_message, status = refusal_message(exc), refusal_status(exc)
    else:
        messages.success(
            request,
            _("Your scores for %(number)s are submitted.") % {"number": review.project.number},
        )
        return redirect("navigation-review", pk=review.pk)
    review = _or_404(own_review, request.user, pk)  # as it is now, with the input kept
    return _review_page(
        request,
        review,
        scores=scores,
        comment=comment,
        errors=errors,
        error_message=error_message,
        status=status,
    )


@login_required
@require_POST
def review_declare(request, pk: int):
    review = _or_404(own_review, request.user, pk)
    choice = request.POST.get("conflict", "")
    reason = request.POST.get("reason", "")
    errors: dict[str, list[str]] = {}
    error_message, status = "", 200
    if choice not in ("no", "yes"):
        errors = {"conflict": [_("Say whether you have a conflict of interest.")]}
        error_message = str(FIX_FIELDS)
    else:
        try:
            selecting.expert_declare(
                actor=request.user, review=review, conflict=choice == "yes", reason=reason
            )
        except InvalidInput as exc:
            errors, error_message = errors_by_field(exc), str(FIX_FIELDS)
        except DomainError as exc:
            error_message, status = refusal_message(exc), refusal_status(exc)
        else:
            if choice == "yes":
                messages.info(
                    request,
                    _(
                        "Your conflict of interest is recorded; another expert was drawn "
                        "in your place."
                    ),
                )
                return redirect("navigation-reviews")
            messages.success(
                request,
                _("Declaration recorded. The application is shown below; score each criterion."),
            )
            return redirect("navigation-review", pk=review.pk)
    review = _or_404(own_review, request.user, pk)
    return _review_page(
        request,
        review,
        declaration={"conflict": choice, "reason": reason},
        errors=errors,
        error_message=error_message,
        status=status,
    )


# ---------------------------------------------------------------- ranking and selection

SELECTED_ROW = re.compile(r"^selected\[(\d+)\]")


@login_required
def ranking(request, code: str):
    """The ranking next to the budget and target count; the city selects on it (the selected
    go to public notice, the other scored projects are not selected)."""
    if not decides(request.user):
        raise Http404
    program = _or_404(navigation_program, code)
    selected: list[str] = []
    amounts: dict[str, str] = {}
    comment = ""
    errors: dict[str, list[str]] = {}
    row_errors: dict[str, list[str]] = {}
    error_message, status = "", 200
    if request.method == "POST":
        selected = request.POST.getlist("selected")
        amounts = {
            key.removeprefix("amount_"): value
            for key, value in request.POST.items()
            if key.startswith("amount_")
        }
        comment = request.POST.get("comment", "")
        choice = []
        for raw in selected:
            amount = amounts.get(raw, "").strip()
            choice.append(
                {
                    "application": _number_or_raw(raw),
                    "award_amount": amount or None,
                }
            )
        try:
            notice = selecting.selection_decide(
                actor=request.user, program=program, selected=choice, comment=comment
            )
        except InvalidInput as exc:
            error_message = str(FIX_FIELDS)
            for item in exc.errors:
                field, message = item.get("field", ""), item.get("message", "")
                match = SELECTED_ROW.match(field)
                if match and int(match[1]) < len(selected):
                    row_errors.setdefault(selected[int(match[1])], []).append(message)
                else:
                    errors.setdefault(field, []).append(message)
        except DomainError as exc:
            error_message, status = refusal_message(exc), refusal_status(exc)
        else:
            messages.success(
                request,
                _(
                    "The selection is published as public notice %(number)s; objections are "
                    "accepted until %(end)s."
                )
                % {
                    "number": notice.number,
                    "end": timezone.localtime(notice.ends_at).strftime("%Y-%m-%d %H:%M"),
                },
            )
            return redirect("navigation-notice", pk=notice.pk)
    data = ranking_dict(program)
    rows = [
        row
        | {
            "stage_label": Stage(row["stage"]).label,
            "selectable": row["stage"] == Stage.SCORED,
            "checked": str(row["application"]) in selected,
            "amount": amounts.get(str(row["application"]), ""),
            "errors": row_errors.get(str(row["application"]), []),
        }
        for row in data["results"]
    ]
    shown = {str(row["application"]) for row in rows}
    for key, msgs in row_errors.items():  # a posted id that is not a row of the ranking
        if key not in shown:
            errors.setdefault("selected", []).extend(msgs)
    context = {
        "program": program,
        "data": data,
        "rows": rows,
        "can_select": may(request.user, SELECTS),
        "selectable": any(row["selectable"] for row in rows),
        "in_expert_review": any(row["stage"] == Stage.EXPERT_REVIEW for row in rows),
        "comment": comment,
        "errors": errors,
        "error_message": error_message,
        "other_errors": [m for f, msgs in errors.items() if f != "comment" for m in msgs],
    }
    return render(request, "navigation/ranking.html", context, status=status)


# ---------------------------------------------------------------- public notice


def notice_list(request):
    notices = navigation_notices().order_by("-id")[:50]
    return render(request, "navigation/notice_list.html", {"notices": notices})


def _notice_page(
    request,
    notice: Notice,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
    resolving: dict[str, Any] | None = None,
    error_message: str = "",
    form_message: str = "",
    status: int = 200,
):
    """The public notice; for the city, the region and administrators also its objections,
    with the resolution form and the sign-off button for those who may use them."""
    user = request.user
    officer = user.is_authenticated and decides(user)
    resolving = resolving or {}
    objections = []
    if officer:
        for o in notice.objections.select_related("project", "resolved_by"):
            mine = resolving.get("objection") == o.pk
            objections.append(
                {
                    "objection": o,
                    "form": resolving.get("form", {}) if mine else {},
                    "errors": resolving.get("errors", {}) if mine else {},
                }
            )
    data = notice_dict(notice)
    now = timezone.now()
    context = {
        "notice": notice,
        "data": data,
        "form": form or {"name": "", "contact": "", "text": "", "project": ""},
        "errors": errors or {},
        "officer": officer,
        "objections": objections,
        "outcomes": OUTCOMES,
        "can_resolve": user.is_authenticated and may(user, RESOLVES_OBJECTIONS),
        "can_sign_off": user.is_authenticated
        and notice.status == Notice.Status.OPEN
        and may(user, SIGNS_OFF),
        "period_over": now > notice.ends_at,
        "error_message": error_message,
        "form_message": form_message,
    }
    return render(request, "navigation/notice_detail.html", context, status=status)


def notice_detail(request, pk: int):
    notice = get_object_or_404(navigation_notices(), pk=pk)
    if request.method != "POST":
        return _notice_page(request, notice)
    form = {k: request.POST.get(k, "").strip() for k in ("name", "contact", "text", "project")}
    try:
        selecting.objection_file(
            notice=notice,
            name=form["name"],
            contact=form["contact"],
            text=form["text"],
            # "" is the notice as a whole; anything else names a project (or is refused)
            project_id=_posted_id(form["project"]) if form["project"] else None,
        )
    except InvalidInput as exc:
        return _notice_page(
            request, notice, form=form, errors=errors_by_field(exc), form_message=str(FIX_FIELDS)
        )
    except DomainError as exc:  # e.g. the period ended while the form was open
        return _notice_page(
            request,
            notice,
            form=form,
            error_message=refusal_message(exc),
            status=refusal_status(exc),
        )
    messages.success(request, _("Your objection was received; it will be answered."))
    return redirect("navigation-notice", pk=notice.pk)


@login_required
@require_POST
def objection_resolve(request, pk: int):
    objection = get_object_or_404(Objection.objects.select_related("notice__program"), pk=pk)
    form = {
        "outcome": request.POST.get("outcome", ""),
        "resolution": request.POST.get("resolution", ""),
    }
    try:
        # no radio chosen by someone who may resolve: said plainly at the field (the service's
        # own answer names the codes it takes, and refuses anyone else first)
        if form["outcome"] not in dict(OUTCOMES) and may(request.user, RESOLVES_OBJECTIONS):
            raise InvalidInput([{"field": "outcome", "message": str(CHOOSE_A_DECISION)}])
        selecting.objection_resolve(
            actor=request.user,
            objection=objection,
            outcome=form["outcome"],
            resolution=form["resolution"],
        )
    except InvalidInput as exc:
        resolving = {"objection": objection.pk, "form": form, "errors": errors_by_field(exc)}
        return _notice_page(
            request, objection.notice, resolving=resolving, error_message=str(FIX_FIELDS)
        )
    except DomainError as exc:
        resolving = {"objection": objection.pk, "form": form}
        return _notice_page(
            request,
            objection.notice,
            resolving=resolving,
            error_message=refusal_message(exc),
            status=refusal_status(exc),
        )
    objection.refresh_from_db()
    messages.success(
        request,
        _("Objection %(id)s: %(outcome)s.")
        % {"id": objection.pk, "outcome": objection.get_status_display()},
    )
    return redirect("navigation-notice", pk=objection.notice_id)


@login_required
@require_POST
def notice_sign_off(request, pk: int):
    notice = get_object_or_404(navigation_notices(), pk=pk)
    try:
        with transaction.atomic():
            signed = award.notice_sign_off(actor=request.user, notice=notice)
            lifecycle.awards_approved(
                applications=signed.awards,
                actor=request.user,
                role=Role.REVIEWER,
                level=Level.REGION,
                data={"notice": signed.notice.number},
            )
    except DomainError as exc:
        return _notice_page(
            request, notice, error_message=refusal_message(exc), status=refusal_status(exc)
        )
    messages.success(
        request,
        _("Notice %(number)s signed off: %(n)d project(s) awarded, each with its contract.")
        % {"number": notice.number, "n": len(signed.awards)},
    )
    return redirect("navigation-notice", pk=notice.pk)


# ---------------------------------------------------------------- milestones


def project_panel(app, user) -> dict[str, Any] | None:
    """The navigation part of the applicant's application page: partners and their
    confirmation, stage, contract and milestones."""
    project = (
        NavigationProject.objects.select_related("application__contract")
        .prefetch_related("partners__organization", notice_entries())
        .filter(pk=app.pk)
        .first()
    )
    if project is None:
        return None
    partners = list(project.partners.all())
    contract = getattr(project.application, "contract", None)
    milestones = []
    if contract is not None:
        member = is_member(user, app.organization_id)
        previous_accepted = True
        for m in contract.milestones.select_related(
            "tranche", "contract__project__program__navigation_config"
        ):
            milestones.append(
                milestone_dict(m)
                | {
                    "obj": m,
                    "can_report": member
                    and previous_accepted
                    and m.status in (Milestone.Status.PENDING, Milestone.Status.RETURNED),
                }
            )
            previous_accepted = m.status == Milestone.Status.ACCEPTED
    return {
        "project": project,
        "partners": partners,
        "waiting": [p.organization.name for p in partners if p.confirmed_at is None],
        "contract": contract,
        "milestones": milestones,
    }


def _milestone_or_404(request, pk: int) -> Milestone:
    """A milestone of an application the user sees (``grants.selectors``); else 404."""
    milestone = (
        Milestone.objects.select_related(
            "tranche",
            "contract__project__program__navigation_config",
            "contract__project__organization__district",
        )
        .filter(
            pk=pk,
            contract__project__in=applications_visible_to(request.user).values("pk"),
        )
        .first()
    )
    if milestone is None:
        raise Http404(_("No such milestone, or it is not visible to you."))
    return milestone


def _milestone_page(
    request,
    milestone: Milestone,
    *,
    report: str | None = None,
    decision: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
    error_message: str = "",
    status: int = 200,
):
    app = milestone.contract.project
    member = is_member(request.user, app.organization_id)
    history = list(
        AuditEntry.objects.filter(
            object_type__in=MILESTONE_OBJECT_TYPES, object_id=str(milestone.pk)
        ).order_by("id")
    )
    returned = [e for e in history if (e.data or {}).get("decision") == "return"]
    context = {
        "milestone": milestone,
        "m": milestone_dict(milestone),
        "app": app,
        "contract": milestone.contract,
        "member": member,
        "can_report": member
        and milestone.status in (Milestone.Status.PENDING, Milestone.Status.RETURNED),
        "waits_for_earlier": milestone_steps.waits_for_earlier(milestone),
        "can_decide": _can_decide(request.user, milestone),
        "level_label": _level_label(
            milestone_steps.milestone_level(milestone, milestone_levels(app.program))
        ),
        "history": history,
        "return_comment": returned[-1].comment
        if returned and milestone.status == Milestone.Status.RETURNED
        else "",
        "report": milestone.report if report is None else report,
        "decision": decision or {"decision": "", "comment": ""},
        "decisions": MILESTONE_DECISIONS,
        "errors": errors or {},
        "error_message": error_message,
    }
    return render(request, "navigation/milestone_detail.html", context, status=status)


def _can_decide(user, milestone: Milestone) -> bool:
    """The decision form is for a reviewer at the submitted milestone's level (the service
    also refuses the applicant organisation's own people)."""
    return milestone.status == Milestone.Status.SUBMITTED and milestone_steps.reviews_milestone_at(
        user, milestone, milestone_levels(milestone.contract.project.program)
    )


def _level_label(level: str) -> str:
    return level_label(level)


@login_required
def milestone_detail(request, pk: int):
    return _milestone_page(request, _milestone_or_404(request, pk))


def _milestone_refused(request, milestone, exc: DomainError, **typed):
    """The milestone page again after the service refused: bad input at its fields, any other
    refusal as the service's message (on the milestone as it is now); what was typed is kept."""
    if isinstance(exc, InvalidInput):
        return _milestone_page(
            request,
            milestone,
            errors=errors_by_field(exc),
            error_message=str(FIX_FIELDS),
            **typed,
        )
    return _milestone_page(
        request,
        _milestone_or_404(request, milestone.pk),
        error_message=refusal_message(exc),
        status=refusal_status(exc),
        **typed,
    )


@login_required
@require_POST
def milestone_report(request, pk: int):
    milestone = _milestone_or_404(request, pk)
    report = request.POST.get("report", "")
    try:
        award.milestone_submit(actor=request.user, milestone=milestone, report=report)
    except DomainError as exc:
        return _milestone_refused(request, milestone, exc, report=report)
    messages.success(
        request,
        _("Your report on “%(label)s” is submitted for review.")
        % {"label": milestone.display_label},
    )
    return redirect("navigation-milestone", pk=milestone.pk)


@login_required
@require_POST
def milestone_decision(request, pk: int):
    milestone = _milestone_or_404(request, pk)
    decision = {
        "decision": request.POST.get("decision", ""),
        "comment": request.POST.get("comment", ""),
    }
    try:
        # no radio chosen by someone who may decide: said plainly at the field
        if decision["decision"] not in dict(MILESTONE_DECISIONS) and _can_decide(
            request.user, milestone
        ):
            raise InvalidInput([{"field": "decision", "message": str(CHOOSE_A_DECISION)}])
        award.milestone_decide(actor=request.user, milestone=milestone, **decision)
    except DomainError as exc:
        return _milestone_refused(request, milestone, exc, decision=decision)
    milestone.refresh_from_db()
    messages.success(
        request,
        _("%(number)s “%(label)s”: %(status)s.")
        % {
            "number": milestone.contract.project.number,
            "label": milestone.display_label,
            "status": milestone.get_status_display(),
        },
    )
    return redirect("navigation-milestones")


@login_required
def milestone_list(request):
    if not reviewer_jurisdictions(request.user):
        return forbidden(request, _("Only reviewers decide on milestone reports."))
    rows = [
        {"milestone": m, "m": milestone_dict(m), "app": m.contract.project}
        for m in milestone_steps.milestones_to_decide(request.user, milestone_levels)
    ]
    return render(request, "navigation/milestone_list.html", {"rows": rows})
