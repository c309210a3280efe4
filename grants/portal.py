"""The applicant portal: sign up, register the organisation, file a claim, answer a return.

Every change goes through ``grants.services`` (and ``rules.services`` for the
check preview); applications are read through ``grants.selectors``. Domain
errors come back as ``errors: [{field, message}]`` and are shown next to the
field they name.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.db.models import F, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from grants import kinds, services
from grants.auth import AuthenticatedRequest
from grants.errors import ChecksFailed, DomainError, InvalidInput, TooLarge, UnsupportedFile
from grants.kinds import derived_fields
from grants.labels import choice_label
from grants.models import (
    WITHDRAWABLE_STATUSES,
    Application,
    FieldType,
    JoinRequest,
    Jurisdiction,
    Level,
    Organization,
    OrganizationKind,
    Program,
    Status,
    User,
)
from grants.presenters import (
    application_dict,
    audit_sentence,
    cost_kind_labels,
    date_text,
    money_text,
    office_at,
    program_dict,
    rule_titles,
)
from grants.selectors import applications_visible_to, is_member
from workflows import lifecycle

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

# What the applicant's timeline shows (as sentences, ``grants.presenters.audit_sentence``):
# their own steps and the decisions, never the internal steps (task creation, budget and letter
# bookkeeping, the experts' individual steps: who reviews and what each wrote is not the
# applicant's to see; the finished scoring is shown).
APPLICANT_TIMELINE = {
    "application.create",
    "attachment.add",
    "attachment.delete",
    "application.submit",
    "application.withdraw",
    "review.decision",
    "application.approved",
    "application.returned",
    "application.rejected",
    "application.paid",
    "letter.issue",
    "tranche.paid",
    "voucher.claim",
    "navigation.create",
    "navigation.partner_confirm",
    "navigation.eligible",
    "navigation.scored",
    "navigation.selected",
    "navigation.contract",
    "navigation.milestone_submit",
    "navigation.milestone_decision",
    "navigation.accepted",
}
# Whose comment the applicant reads: the deciding office's, and their own reason to withdraw.
COMMENTED_ACTIONS = {
    "review.decision",
    "application.returned",
    "application.rejected",
    "application.approved",
    "navigation.milestone_decision",
    "application.withdraw",
}
DECIDING_ACTIONS = {
    "review.decision",
    "application.approved",
    "application.returned",
    "application.rejected",
    "navigation.milestone_decision",
}
# "letter.issue" by the kind of letter (the audit row's data says which)
LETTER_ISSUED_LABELS: dict[str | None, str | StrPromise] = {
    "award": gettext_lazy("Award letter issued"),
    "refusal": gettext_lazy("Refusal notice issued"),
    "acceptance": gettext_lazy("Acceptance certificate issued"),
}
DECISION_WORDS = {
    "approve": gettext_lazy("approved"),
    "return": gettext_lazy("returned for changes"),
    "reject": gettext_lazy("rejected"),
}
LETTER_STATUSES = (Status.AWARDED, Status.PAID)


def _my_organizations(user: User) -> QuerySet[Organization]:
    return Organization.objects.filter(memberships__user=user).select_related("district")


def _own_application_or_404(user: User, pk: int) -> Application:
    app = applications_visible_to(user).filter(pk=pk).first()
    if app is None or not is_member(user, app.organization_id):
        raise Http404(_("No such application, or it is not visible to you."))
    return app


def errors_by_field(exc: DomainError) -> dict[str, list[str]]:
    """A domain error's ``errors`` as field → messages, for showing each at its field."""
    out: dict[str, list[str]] = {}
    for item in exc.errors:
        out.setdefault(item.get("field", ""), []).append(item.get("message", ""))
    return out


# ---------------------------------------------------------------- accounts and organisations


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("portal")
    form = {"username": "", "email": ""}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        form = {k: request.POST.get(k, "") for k in ("username", "email")}
        password = request.POST.get("password", "")
        if password != request.POST.get("password2", ""):
            errors["password2"] = [_("The two passwords differ.")]
        else:
            try:
                user = services.applicant_register(password=password, **form)
            except InvalidInput as exc:
                errors = errors_by_field(exc)
            else:
                login(request, user, backend="grants.auth.FundflowBackend")
                after = request.GET.get("next", "")
                if after and url_has_allowed_host_and_scheme(
                    after, allowed_hosts={request.get_host()}, require_https=request.is_secure()
                ):  # e.g. back to the invitation that brought them here
                    return redirect(after)
                messages.success(request, _("Welcome! Register your organisation to apply."))
                return redirect("portal-organization-new")
    return render(request, "portal/signup.html", {"form": form, "errors": errors})


@login_required
def portal(request: AuthenticatedRequest) -> HttpResponse:
    apps = (
        applications_visible_to(request.user)
        .filter(organization__memberships__user=request.user)
        .order_by("-updated_at")
    )
    programs = Program.objects.filter(is_active=True).prefetch_related("budgets")
    return render(
        request,
        "portal/home.html",
        {
            # the join of _my_organizations' filter: this user's role in each
            "organizations": _my_organizations(request.user).annotate(
                my_role=F("memberships__role")
            ),
            "join_requests": JoinRequest.objects.filter(user=request.user).order_by("-id")[:20],
            "applications": apps[:100],
            "programs": [program_dict(p) | {"obj": p, "apply": apply_link(p)} for p in programs],
            # the kinds' own blocks (navigation: joint projects; vouchers: the agency's desk)
            "kind_blocks": kinds.portal_blocks(request.user),
        },
    )


def apply_link(program: Program) -> dict[str, str]:
    """Where and how to apply: the kind's own form (a joint application), else the claim form."""
    return kinds.hooks_for(program).apply_link(program) or {
        "url": reverse("portal-claim-new", args=[program.code]),
        "label": _("Apply"),
        "note": "",
    }


@login_required
def organization_new(request: AuthenticatedRequest) -> HttpResponse:
    form: dict[str, Any] = {"name": "", "uscc": "", "kind": "enterprise", "district": ""}
    errors: dict[str, list[str]] = {}
    taken: int | None = None  # the organisation already registered under the code typed
    if request.method == "POST":
        form = {
            k: request.POST.get(k, "").strip()
            for k in (
                "name",
                "uscc",
                "kind",
                "district",
                "legal_representative",
                "phone",
                "bank_account_name",
                "bank_bank_name",
                "bank_account_number",
                "bank_cnaps_code",
            )
        }
        form["is_sme"] = request.POST.get("is_sme") == "1"
        bank = {
            "account_name": form["bank_account_name"],
            "bank_name": form["bank_bank_name"],
            "account_number": form["bank_account_number"],
            "cnaps_code": form["bank_cnaps_code"],
        }
        facts = {k: v for k, v in form.items() if not k.startswith("bank_")}
        try:
            org = services.organization_register(
                actor=request.user,
                bank_account=bank,
                authority_letter=request.FILES.get("authority_letter"),
                **facts,
            )
        except InvalidInput as exc:
            errors = errors_by_field(exc)
            for key in list(errors):  # bank_account.account_number → the form's name
                if key.startswith("bank_account."):
                    errors["bank_" + key.split(".", 1)[1]] = errors.pop(key)
        except (UnsupportedFile, TooLarge) as exc:  # the authorisation letter's file
            errors = {"authority_letter": [exc.detail]}
        except DomainError as exc:  # a USCC already registered: shown at the field
            errors = errors_by_field(exc) if exc.errors else {"uscc": [exc.detail]}
            found = exc.extra.get("organization")
            taken = found if isinstance(found, int) else None
        else:
            messages.success(request, _("Organisation %(name)s registered.") % {"name": org.name})
            return redirect("portal")
    return render(
        request,
        "portal/organization_form.html",
        {
            "form": form,
            "errors": errors,
            "taken": taken,
            "kinds": OrganizationKind.choices,
            "districts": Jurisdiction.objects.filter(level=Level.DISTRICT),
        },
    )


# ---------------------------------------------------------------- the claim form


def field_specs(
    program: Program, values: dict[str, Any], errors: dict[str, list[str]]
) -> list[dict[str, Any]]:
    derived = derived_fields(program)
    specs = []
    for f in program.fields.all():
        value = values.get(f.name)
        if f.type == FieldType.BOOLEAN:
            shown = "" if value is None else ("1" if value in (True, "1") else "0")
        else:
            shown = "" if value is None else str(value)
        specs.append(
            {
                "name": f.name,
                "id": f"f-{f.name}",
                "type": f.type,
                "label": f.display_label,
                "required": f.required,
                "choices": [(c, choice_label(c)) for c in f.choices or []],
                "options": registry_options(f.name),
                "value": shown,
                "display": _display_value(f.type, value),
                "errors": errors.get(f"fields.{f.name}", []),
                "derived": f.name
                in derived,  # shown, not edited here (see KindHooks.derived_fields)
            }
        )
    return specs


def registry_options(field_name: str) -> list[str]:
    """Names a registry offers for a form field (the accredited certification bodies for
    ``certification_body``): shown as choices, the person may still type another."""
    if field_name != "certification_body":
        return []
    from rules.models import CertificationBody

    return list(CertificationBody.objects.values_list("name", flat=True))


def _display_value(ftype: str, value: Any) -> str:
    """A field's value as a person reads it (a date in Chinese form, a choice's label)."""
    if value in (None, ""):
        return "—"
    if ftype == FieldType.BOOLEAN:
        return str(_("Yes") if value in (True, "1") else _("No"))
    if ftype == FieldType.DATE:
        return date_text(value)
    if ftype == FieldType.DECIMAL:
        return money_text(value)
    if ftype == FieldType.CHOICE:
        return choice_label(value)
    return str(value)


def posted_fields(program: Program, post: QueryDict, *, patch: bool = False) -> dict[str, Any]:
    """The typed values the services expect: text and dates as strings, numbers, booleans.
    ``patch``: a merge patch of the whole form (RFC 7396, as the API's PATCH): a field left
    empty is ``None`` (removed); fields the form does not show stay as they are."""
    out: dict[str, Any] = {}
    derived = derived_fields(program)
    for f in program.fields.all():
        if f.name in derived:
            continue
        raw = post.get(f"field_{f.name}", "").strip()
        if raw == "":
            if patch:
                out[f.name] = None
            continue
        if f.type == FieldType.INTEGER:
            try:
                out[f.name] = int(raw)
            except ValueError:
                out[f.name] = raw  # the service names the error at the field
        elif f.type == FieldType.BOOLEAN:
            out[f.name] = raw == "1"
        else:
            out[f.name] = raw
    return out


def posted_cost_lines(post: QueryDict) -> list[dict[str, str]]:
    kinds = post.getlist("cost_kind")
    amounts = post.getlist("cost_amount")
    references = post.getlist("cost_reference")
    lines = []
    for kind, amount, reference in zip(kinds, amounts, references, strict=False):
        if not amount.strip() and not reference.strip():
            continue  # an empty row is no line
        lines.append({"kind": kind, "amount": amount.strip(), "reference": reference.strip()})
    return lines


def cost_rows(
    program: Program, lines: list[dict[str, Any]], errors: dict[str, list[str]]
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for i, line in enumerate(lines):
        rows.append(
            {
                "index": i,
                "kind": line["kind"],
                "amount": "" if line["amount"] is None else str(line["amount"]),
                "reference": line.get("reference", ""),
                "errors": [
                    m
                    for key, msgs in errors.items()
                    if key == f"cost_lines[{i}]" or key.startswith(f"cost_lines[{i}].")
                    for m in msgs
                ],
            }
        )
    if not rows:
        rows.append({"index": 0, "kind": "", "amount": "", "reference": "", "errors": []})
    return rows


def _claim_context(
    program: Program,
    *,
    app: Application | None = None,
    values: dict[str, Any] | None = None,
    lines: list[dict[str, Any]] | None = None,
    errors: dict[str, list[str]] | None = None,
    orgs: list[Organization] | None = None,
) -> dict[str, Any]:
    errors = errors or {}
    return {
        "program": program,
        "app": app,
        "field_specs": field_specs(program, values or {}, errors),
        "cost_rows": cost_rows(program, lines or [], errors),
        "cost_kinds": list(program.cost_line_kinds.all()),
        "attachment_kinds": list(program.attachment_kinds.all()),
        "errors": errors,
        "other_errors": [
            m
            for key, msgs in errors.items()
            if not key.startswith(("fields.", "cost_lines["))
            for m in msgs
        ],
        "organizations": orgs,
    }


@login_required
def claim_new(request: AuthenticatedRequest, code: str) -> HttpResponse:
    program = Program.objects.filter(code=code, is_active=True).first()
    if program is None:
        raise Http404(_("No such programme."))
    own_form = kinds.hooks_for(program).apply_link(program)
    if own_form:  # the kind's own form (navigation: a joint application, with its partners)
        return redirect(own_form["url"])
    orgs = list(_my_organizations(request.user))
    if not orgs:
        messages.info(request, _("Register your organisation first."))
        return redirect("portal-organization-new")
    values: dict[str, Any] = {}
    lines: list[dict[str, Any]] = []
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = posted_fields(program, request.POST)
        lines = posted_cost_lines(request.POST)
        try:
            org_id = int(request.POST.get("organization", orgs[0].pk))
        except ValueError:
            org_id = -1
        try:
            app = services.application_create(
                actor=request.user,
                program_code=program.code,
                organization_id=org_id,
                fields=values,
                cost_lines=lines,
            )
        except DomainError as exc:
            errors = errors_by_field(exc) or {"": [exc.detail]}
        else:
            messages.success(
                request,
                _("Draft %(number)s saved. Upload the attachments, check, then submit.")
                % {"number": app.number},
            )
            return redirect("portal-application", pk=app.pk)
    context = _claim_context(program, values=values, lines=lines, errors=errors, orgs=orgs)
    return render(request, "portal/claim_form.html", context)


def _timeline(app: Application) -> list[dict[str, Any]]:
    """The applicant's history in plain words: what happened, when, which office decided and
    its comment; no user names, internal steps or codes."""
    district = app.organization.district
    rows = []
    shown = ""
    for e in app.audit_entries.filter(action__in=APPLICANT_TIMELINE).order_by("id"):
        if e.action not in COMMENTED_ACTIONS:
            e.comment = ""  # bookkeeping notes (a budget's, a letter's) are not the applicant's
        data: dict[str, Any] = e.data or {}
        label: str | StrPromise = audit_sentence(e.action)
        if e.action == "letter.issue":
            label = LETTER_ISSUED_LABELS.get(data.get("kind"), label)
        decision = (
            data.get("decision")
            if e.action in ("review.decision", "navigation.milestone_decision")
            else None
        )
        deciding = e.action in DECIDING_ACTIONS
        rows.append(
            {
                "at": e.at,
                "label": label,
                "decision": DECISION_WORDS.get(decision, "") if decision else "",
                "office": office_at(e.level, district) if deciding and e.level else "",
                "to": Status(e.to_status).label
                if e.to_status in Status.values and e.to_status != e.from_status
                else "",
                # the deciding office's comment (once), the applicant's own reason
                "comment": e.comment if e.comment and e.comment != shown else "",
            }
        )
        if e.action in COMMENTED_ACTIONS:
            shown = e.comment
    return rows


def _return_comment(app: Application) -> str:
    entry = (
        app.audit_entries.filter(action="review.decision", data__decision="return")
        .order_by("-id")
        .first()
    )
    return entry.comment if entry else ""


def _checks_preview(request: AuthenticatedRequest, app: Application) -> dict[str, Any]:
    """What the rules would say now (stores nothing): passes, failures with reasons, the award."""
    from rules.services import evaluation_run

    try:
        preview = evaluation_run(application=app, actor=request.user, purpose="preview", save=False)
    except DomainError as exc:
        return {"error": exc.detail}
    titles = rule_titles(app.program)
    # warnings are for reviewers; the applicant sees what must pass and what a person checks
    checks = [
        c | {"title": titles.get(c["rule"], "")}
        for c in preview.checks_for_api()
        if c["severity"] != "warn"
    ]
    return {
        "checks": checks,
        "award": preview.award_str,
        "blocking": sum(1 for c in checks if c["passed"] is False and c["severity"] == "block"),
    }


def edit_version(app: Application) -> str:
    """What the edit form was opened on: a digest of the fields and cost lines. A save whose
    form carries another digest would overwrite a change made meanwhile, so it is refused."""
    state = {
        "fields": app.fields or {},
        "cost_lines": [[c.kind, str(c.amount), c.reference] for c in app.cost_lines.all()],
    }
    encoded = json.dumps(state, sort_keys=True, default=str, ensure_ascii=False).encode()
    return hashlib.sha256(encoded).hexdigest()[:32]


def changed_elsewhere(program: Program, app: Application, patch: dict[str, Any]) -> str:
    """The message for a save refused because the claim changed since the form was opened:
    which fields now hold something other than what the person typed, and their current values."""
    current = app.fields or {}
    differing = [
        f"{f.display_label}：{_display_value(f.type, current.get(f.name))}"
        for f in program.fields.all()
        if f.name in patch and str(patch[f.name] or "") != str(current.get(f.name) or "")
    ]
    text = _(
        "This claim was changed elsewhere (in another window or by a colleague) after you "
        "opened this page, so nothing was saved and nothing was overwritten. What you typed is "
        "still in the form: check it and save again."
    )
    if differing:
        text += " " + _("Saved meanwhile: %(fields)s.") % {"fields": "；".join(differing)}
    return text


@login_required
def application_page(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    app = _own_application_or_404(request.user, pk)
    program = app.program
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = dict(app.fields or {})
    lines: list[dict[str, Any]] = [
        {"kind": c.kind, "amount": c.amount, "reference": c.reference} for c in app.cost_lines.all()
    ]
    if request.method == "POST" and app.is_editable:
        patch = posted_fields(program, request.POST, patch=True)
        values = {k: v for k, v in patch.items() if v is not None}
        lines = posted_cost_lines(request.POST)
        seen = request.POST.get("seen")
        if seen and seen != edit_version(app):
            # changed elsewhere (another window, a colleague, the API) since this form was
            # opened: nothing is overwritten, what the person typed stays in the form
            errors = {"": [changed_elsewhere(program, app, patch)]}
        else:
            try:
                app = services.application_update(
                    actor=request.user, application=app, fields=patch, cost_lines=lines
                )
            except DomainError as exc:
                errors = errors_by_field(exc) or {"": [exc.detail]}
            else:
                messages.success(request, _("Draft saved."))
                return redirect("portal-application", pk=app.pk)
    context = _claim_context(program, app=app, values=values, lines=lines, errors=errors)
    context["edit_version"] = edit_version(app)
    from letters.services import acceptance_certificate

    data = application_dict(app)
    attachment_labels = {k.code: k.display_label for k in program.attachment_kinds.all()}
    cost_labels = cost_kind_labels(program)
    have = {a["kind"] for a in data["attachments"]}
    decided = app.status in (Status.APPROVED, Status.AWARDED, Status.PAID)
    context.update(
        data=data,
        # "核定奖励" once every level approved; before that what the rules expect
        award_label=_("Award granted") if decided else _("Expected award"),
        show_award=app.status not in (Status.REJECTED, Status.WITHDRAWN),
        cost_view=[
            {
                "label": cost_labels.get(c["kind"], c["kind"]),
                "amount": c["amount"],
                "reference": c["reference"],
            }
            for c in data["cost_lines"]
        ],
        can_withdraw=app.status in WITHDRAWABLE_STATUSES,
        pledge_text=program.pledge_text,
        office=office_at(app.level, app.organization.district) if app.level else "",
        attachments=[
            a | {"label": attachment_labels.get(a["kind"], a["kind"])} for a in data["attachments"]
        ],
        missing_attachments=[
            k for k in program.attachment_kinds.all() if k.required and k.code not in have
        ],
        timeline=_timeline(app),
        return_comment=_return_comment(app) if app.status == Status.RETURNED else "",
        preview=_checks_preview(request, app) if app.is_editable else None,
        letter_available=app.status in LETTER_STATUSES,
        certificate=acceptance_certificate(app),
    )
    # the kind's panel (a voucher claim: its voucher; navigation: partners, contract, milestones)
    context["kind_panel"] = kinds.hooks_for(program).portal_panel(app, request.user)
    return render(request, "portal/application.html", context)


@login_required
@require_POST
def attachment_upload(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Plain form post (no JavaScript) or XHR with progress (answers JSON when asked for it)."""
    app = _own_application_or_404(request.user, pk)
    wants_json = "application/json" in request.headers.get("Accept", "")
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise InvalidInput([{"field": "file", "message": _("Choose a file to upload.")}])
        attachment = services.attachment_add(
            actor=request.user, application=app, kind=request.POST.get("kind", ""), upload=upload
        )
    except DomainError as exc:
        message = " ".join([exc.detail] + [e.get("message", "") for e in exc.errors]).strip()
        if wants_json:
            return JsonResponse({"ok": False, "message": message}, status=exc.status)
        messages.error(request, message)
    else:
        text = _("Uploaded %(name)s.") % {"name": attachment.original_name}
        if wants_json:
            return JsonResponse({"ok": True, "message": text, "id": attachment.pk}, status=201)
        messages.success(request, text)
    return redirect("portal-application", pk=app.pk)


@login_required
@require_POST
def application_submit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    app = _own_application_or_404(request.user, pk)
    if request.POST.get("pledge") != "1":
        messages.error(request, _("Confirm the integrity pledge before submitting."))
        return redirect("portal-application", pk=app.pk)
    try:
        lifecycle.submit(actor=request.user, application=app, pledge=True)
    except ChecksFailed as exc:
        messages.error(request, exc.detail)
    except DomainError as exc:
        messages.error(
            request, " ".join([exc.detail] + [e.get("message", "") for e in exc.errors]).strip()
        )
    else:
        messages.success(
            request,
            _("Submitted %(number)s. You will be told when a reviewer decides.")
            % {"number": app.number},
        )
    return redirect("portal-application", pk=app.pk)


@login_required
@require_POST
def attachment_delete(request: AuthenticatedRequest, pk: int, attachment_id: int) -> HttpResponse:
    """Remove an attachment of a draft or returned application (replace = upload, then remove)."""
    app = _own_application_or_404(request.user, pk)
    name = app.attachments.filter(pk=attachment_id).values_list("original_name", flat=True).first()
    try:
        services.attachment_delete(actor=request.user, application=app, attachment_id=attachment_id)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Removed %(name)s.") % {"name": name or ""})
    return redirect("portal-application", pk=app.pk)


@login_required
@require_POST
def application_withdraw(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Withdraw before a final decision, with a reason (final: the application cannot return)."""
    app = _own_application_or_404(request.user, pk)
    try:
        lifecycle.withdraw(
            actor=request.user, application=app, reason=request.POST.get("reason", "")
        )
    except DomainError as exc:
        messages.error(
            request, " ".join([exc.detail] + [e.get("message", "") for e in exc.errors]).strip()
        )
    else:
        messages.success(request, _("Application %(n)s withdrawn.") % {"n": app.number})
    return redirect("portal-application", pk=app.pk)
