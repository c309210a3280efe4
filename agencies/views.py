"""Web pages of the registry and vouchers. Reads go through the same selectors as the API;
changes only through ``agencies.services``.

Who uses them: administrators admit agencies, add qualifications, record penalties and issue
vouchers; an SME sees its vouchers with the code and QR code; someone acting for an agency
redeems a voucher at the agency's desk with the code the SME shows, follows its redemptions and
files the reimbursement claim, which then lives on the portal's application page like any claim.
A bad form is shown again with the errors at their fields and what was typed kept; a change
ends in a redirect (POST-redirect-GET).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from agencies.indicators import smes_in_custody
from agencies.models import Agency, AgencyStatus, Redemption, Service, Voucher, VoucherStatus
from agencies.selectors import agencies_acted_for, vouchers_visible_to
from agencies.services import registry, vouchers
from grants.errors import DomainError, Forbidden, InvalidInput, NotFound
from grants.models import Membership, Organization, OrganizationKind, Program, ProgramKind, Role
from grants.pages import forbidden, refusal_message, refusal_status
from grants.portal import errors_by_field
from grants.selectors import applications_visible_to, has_role, is_member
from grants.services import parse_money

FIX_FIELDS = gettext_lazy("Please correct the marked fields; nothing was saved.")
DATE_EXPECTED = gettext_lazy("A date such as 2026-03-31 expected.")
REDEEM_FIELDS = (
    "code",
    "agency",
    "service",
    "contract_number",
    "contract_date",
    "contract_price",
)
VERIFY_PATH = "/vouchers/verify/"
DECIMAL_TEXT = re.compile(r"^-?\d+(\.\d+)?$")


def _error_text(exc: DomainError) -> str:
    details = "; ".join(f"{e['field']}: {e['message']}" for e in exc.errors)
    return f"{exc.detail} {details}".strip()


def _date(raw: str, field: str, errors: dict[str, list[str]], *, required: bool = True):
    """A date typed as YYYY-MM-DD (the browser's date input sends that), else an error at it."""
    if not raw:
        if required:
            errors.setdefault(field, []).append(_("This field is required."))
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors.setdefault(field, []).append(str(DATE_EXPECTED))
        return None


def _money(raw: str, field: str, errors: dict[str, list[str]]) -> Decimal | None:
    """An amount typed as decimal text (never a float): the service's own parser and message."""
    if not raw:
        errors.setdefault(field, []).append(_("This field is required."))
        return None
    text = raw.replace(",", "").replace("，", "").replace("¥", "").strip()
    if not DECIMAL_TEXT.match(text):  # plain digits: no exponent, no NaN, no spaces inside
        errors.setdefault(field, []).append(_("“%(v)s” is not an amount.") % {"v": raw})
        return None
    try:
        return parse_money(text, field)
    except InvalidInput as exc:
        for field_name, msgs in errors_by_field(exc).items():
            errors.setdefault(field_name, []).extend(msgs)
        return None


def service_choices(codes=None) -> list[tuple[str, str]]:
    codes = Service.values if codes is None else [c for c in codes if c in Service.values]
    return [(c, Service(c).label) for c in codes]  # type: ignore[misc]  # lazy labels, rendered as str


# ---------------------------------------------------------------- links per role


def apply_link(program) -> dict[str, str]:
    """Nobody fills in a claim form for a voucher programme: an SME holds vouchers the
    administrator issued and takes one to an admitted agency; the agency redeems it and files
    the reimbursement claim from its desk. The portal's button leads to the vouchers."""
    return {
        "url": reverse("voucher-list"),
        "label": _("My vouchers"),
        "note": _(
            "Vouchers are issued to SMEs. Take yours to an IP service agency admitted to the "
            "service cluster; the agency redeems it at its desk and claims the reimbursement."
        ),
    }


def portal_home(user) -> dict[str, Any] | None:
    """The portal-home block: the SME's vouchers, and an agency's voucher desk."""
    summary = voucher_summary(user)
    if not (summary["agencies"] or summary["vouchers"]):
        return None
    return {"template": "agencies/_portal_block.html", "voucher_desk": summary}


def portal_panel(app, user) -> dict[str, Any] | None:
    """On a voucher claim's page: the voucher it claims for."""
    redemption = Redemption.objects.filter(claim=app).select_related("voucher").first()
    if redemption is None:
        return None
    return {"template": "agencies/_claim_panel.html", "redemption": redemption}


def voucher_summary(user) -> dict[str, Any]:
    """For the portal home: the SME's vouchers, and for someone acting for an agency its desk
    (its agencies, how many vouchers it redeemed and how many still wait for a claim)."""
    mine = Membership.objects.filter(user=user).values("organization_id")
    held = list(
        vouchers_visible_to(user)
        .filter(sme_id__in=mine)
        .select_related("redemption__agency__organization")
        .order_by("-issued_at", "-pk")[:20]
    )
    agencies = list(agencies_acted_for(user))
    counts = (
        Redemption.objects.filter(agency__in=agencies).aggregate(
            total=Count("pk"), unclaimed=Count("pk", filter=Q(claim__isnull=True))
        )
        if agencies
        else {"total": 0, "unclaimed": 0}
    )
    return {"vouchers": held, "agencies": agencies, **counts}


# ---------------------------------------------------------------- the registry


def _admission_candidates():
    """Registered organisations of kind ``service_agency`` not yet in the registry."""
    return (
        Organization.objects.filter(kind=OrganizationKind.SERVICE_AGENCY, agency__isnull=True)
        .select_related("district")
        .order_by("name")
    )


def _agency_list_page(
    request,
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
    error_message: str = "",
    status: int = 200,
):
    agencies = Agency.objects.select_related("organization__district").prefetch_related(
        "qualifications"
    )
    is_admin = has_role(request.user, Role.ADMIN)
    errors = errors or {}
    return render(
        request,
        "agencies/agency_list.html",
        {
            "agencies": agencies,
            "is_admin": is_admin,
            "mine": {a.pk for a in agencies_acted_for(request.user)},
            "candidates": list(_admission_candidates()) if is_admin else [],
            "services": service_choices(),
            "form": form or {"organization": "", "services": [], "admitted_on": ""},
            "errors": errors,
            "error_message": error_message,
            "other_errors": [
                m
                for field, msgs in errors.items()
                if field not in ("organization", "services", "admitted_on")
                for m in msgs
            ],
            "today": timezone.localdate(),
        },
        status=status,
    )


@login_required
def agency_list(request):
    return _agency_list_page(request)


@login_required
@require_POST
def agency_admit(request):
    """An administrator admits a registered service agency organisation to the cluster."""
    if not has_role(request.user, Role.ADMIN):
        return forbidden(request, _("Only programme administrators manage agencies and vouchers."))
    form = {
        "organization": request.POST.get("organization", "").strip(),
        "services": request.POST.getlist("services"),
        "admitted_on": request.POST.get("admitted_on", "").strip(),
    }
    errors: dict[str, list[str]] = {}
    if not form["organization"]:
        errors["organization"] = [_("Choose the organisation to admit.")]
    if not form["services"]:
        errors["services"] = [_("Tick at least one service the agency offers.")]
    admitted_on = _date(form["admitted_on"], "admitted_on", errors, required=False)
    if admitted_on and admitted_on > timezone.localdate():
        errors.setdefault("admitted_on", []).append(_("A date in the future."))
    if errors:
        return _agency_list_page(request, form=form, errors=errors, error_message=str(FIX_FIELDS))
    try:
        agency = registry.agency_admit(
            actor=request.user,
            organization_id=int(form["organization"]) if form["organization"].isdigit() else None,
            services=form["services"],
            admitted_on=admitted_on,
        )
    except InvalidInput as exc:
        return _agency_list_page(
            request, form=form, errors=errors_by_field(exc), error_message=str(FIX_FIELDS)
        )
    except Forbidden as exc:
        return forbidden(request, exc.detail)
    except DomainError as exc:  # already in the registry: said at the organisation
        return _agency_list_page(
            request,
            form=form,
            errors={"organization": [exc.detail]},
            error_message=str(FIX_FIELDS),
            status=refusal_status(exc),
        )
    messages.success(
        request,
        _("%(name)s is admitted to the service cluster and can take service vouchers.")
        % {"name": agency.organization.name},
    )
    return redirect("agency-detail", pk=agency.pk)


def _agency_or_404(pk: int) -> Agency:
    agency = (
        Agency.objects.select_related("organization__district")
        .prefetch_related("qualifications", "status_changes", "penalties")
        .filter(pk=pk)
        .first()
    )
    if agency is None:
        raise Http404(_("No such agency."))
    return agency


def _agency_page(
    request,
    agency: Agency,
    *,
    qualification: dict[str, str] | None = None,
    penalty: dict[str, str] | None = None,
    q_errors: dict[str, list[str]] | None = None,
    p_errors: dict[str, list[str]] | None = None,
    error_message: str = "",
    status: int = 200,
):
    """The agency; its members also get the desk links, administrators the forms (a bad form
    comes back with its errors at its fields and what was typed)."""
    q_errors, p_errors = q_errors or {}, p_errors or {}
    member = is_member(request.user, agency.organization_id)
    known: tuple[str, ...] = (
        "name",
        "number",
        "issued_on",
        "expires_on",
        "decided_on",
        "authority",
    )
    known += ("document_number", "reason")
    return render(
        request,
        "agencies/agency_detail.html",
        {
            "agency": agency,
            "is_admin": has_role(request.user, Role.ADMIN),
            "member": member,
            "redemptions": agency.redemptions.count() if member else None,
            "today": timezone.localdate(),
            "qualification": qualification
            or {"name": "", "number": "", "issued_on": "", "expires_on": ""},
            "penalty": penalty
            or {"decided_on": "", "authority": "", "document_number": "", "reason": ""},
            "q_errors": q_errors,
            "p_errors": p_errors,
            "error_message": error_message,
            "other_errors": [
                m
                for errors in (q_errors, p_errors)
                for field, msgs in errors.items()
                if field not in known
                for m in msgs
            ],
        },
        status=status,
    )


@login_required
def agency_detail(request, pk: int):
    return _agency_page(request, _agency_or_404(pk))


@login_required
@require_POST
def agency_qualification(request, pk: int):
    """An administrator adds a qualification (资质) with its expiry date."""
    agency = _agency_or_404(pk)
    if not has_role(request.user, Role.ADMIN):
        return forbidden(request, _("Only programme administrators manage agencies and vouchers."))
    form = {
        k: request.POST.get(k, "").strip() for k in ("name", "number", "issued_on", "expires_on")
    }
    errors: dict[str, list[str]] = {}
    issued_on = _date(form["issued_on"], "issued_on", errors, required=False)
    expires_on = _date(form["expires_on"], "expires_on", errors)
    if not form["name"]:
        errors.setdefault("name", []).append(_("This field is required."))
    if not errors:
        try:
            qualification = registry.qualification_add(
                actor=request.user,
                agency=agency,
                name=form["name"],
                number=form["number"],
                issued_on=issued_on,
                expires_on=expires_on,
            )
        except Forbidden as exc:
            return forbidden(request, exc.detail)
        except DomainError as exc:
            errors = errors_by_field(exc) or {"": [exc.detail]}
        else:
            messages.success(
                request,
                _("Qualification “%(name)s” added; it expires on %(date)s.")
                % {"name": qualification.name, "date": qualification.expires_on.isoformat()},
            )
            return redirect("agency-detail", pk=agency.pk)
    return _agency_page(
        request,
        agency,
        qualification=form,
        q_errors=errors,
        error_message=str(FIX_FIELDS),
    )


@login_required
@require_POST
def agency_penalty(request, pk: int):
    agency = _agency_or_404(pk)
    if not has_role(request.user, Role.ADMIN):
        return forbidden(request, _("Only programme administrators manage agencies and vouchers."))
    form = {
        k: request.POST.get(k, "").strip()
        for k in ("decided_on", "authority", "document_number", "reason")
    }
    errors: dict[str, list[str]] = {}
    decided_on = _date(form["decided_on"], "decided_on", errors)
    if not errors:
        try:
            registry.penalty_record(
                actor=request.user,
                agency=agency,
                decided_on=decided_on,
                authority=form["authority"],
                document_number=form["document_number"],
                reason=form["reason"],
            )
        except Forbidden as exc:
            return forbidden(request, exc.detail)
        except DomainError as exc:
            errors = errors_by_field(exc) or {"": [exc.detail]}
        else:
            messages.success(
                request, _("The penalty was recorded and the agency exited the cluster.")
            )
            return redirect("agency-detail", pk=pk)
    return _agency_page(
        request,
        agency,
        penalty=form,
        p_errors=errors,
        error_message=str(FIX_FIELDS),
    )


# ---------------------------------------------------------------- vouchers


def _claim_links(user, redemptions: list[Redemption]) -> dict[int, str]:
    """Where each claim opens for ``user``: the portal page for the agency's people, the
    reviewers' page for those who see it there; no link for a claim they may not see."""
    claim_ids = [r.claim_id for r in redemptions if r.claim_id]
    if not claim_ids:
        return {}
    visible = dict(
        applications_visible_to(user).filter(pk__in=claim_ids).values_list("pk", "organization_id")
    )
    mine = set(Membership.objects.filter(user=user).values_list("organization_id", flat=True))
    return {
        pk: reverse("portal-application" if org in mine else "application-detail", args=[pk])
        for pk, org in visible.items()
    }


@login_required
def voucher_list(request):
    qs = (
        vouchers_visible_to(request.user)
        .select_related("redemption__agency__organization", "redemption__claim")
        .order_by("number")
    )
    status = request.GET.get("status", "")
    if status in VoucherStatus.values:
        qs = qs.filter(status=status)
    year = timezone.localdate().year
    shown = list(qs[:200])
    redemptions = [v.redemption for v in shown if hasattr(v, "redemption")]
    links = _claim_links(request.user, redemptions)
    rows = []
    for v in shown:
        redemption = getattr(v, "redemption", None) if hasattr(v, "redemption") else None
        rows.append(
            {
                "voucher": v,
                "redemption": redemption,
                "claim_url": links.get(redemption.claim_id) if redemption else None,
            }
        )
    return render(
        request,
        "agencies/voucher_list.html",
        {
            "rows": rows,
            "count": qs.count(),
            "statuses": VoucherStatus.choices,
            "status": status,
            "is_admin": has_role(request.user, Role.ADMIN),
            "desk": bool(agencies_acted_for(request.user)),
            "programs": Program.objects.filter(kind=ProgramKind.VOUCHER, is_active=True),
            "custody": smes_in_custody(year),
            "year": year,
            "report": request.session.pop("voucher_bulk_report", None),
        },
    )


@login_required
@require_POST
def voucher_bulk(request):
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose an Excel file."))
        return redirect("voucher-list")
    try:
        report = vouchers.vouchers_issue_from_sheet(
            actor=request.user, program_code=request.POST.get("program", ""), upload=upload
        )
        request.session["voucher_bulk_report"] = {
            "rows": report.rows,
            "issued": len(report.issued),
            "rejected": report.rejected,
        }
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    return redirect("voucher-list")


def _visible_voucher_or_404(user, pk: int) -> Voucher:
    voucher = (
        vouchers_visible_to(user)
        .select_related("redemption__agency__organization", "redemption__claim")
        .filter(pk=pk)
        .first()
    )
    if voucher is None:
        raise Http404(_("No such voucher, or it is not visible to you."))
    return voucher


def _voucher_page(
    request,
    voucher: Voucher,
    *,
    amount: str | None = None,
    errors: dict[str, list[str]] | None = None,
    error_message: str = "",
    status: int = 200,
):
    from agencies.qr import voucher_qr_svg

    holder = has_role(request.user, Role.ADMIN) or is_member(request.user, voucher.sme_id)
    redemption = getattr(voucher, "redemption", None) if hasattr(voucher, "redemption") else None
    desk = redemption is not None and is_member(request.user, redemption.agency.organization_id)
    suggested = (
        min(voucher.face_value, redemption.contract_price) if redemption is not None else None
    )
    return render(
        request,
        "agencies/voucher_detail.html",
        {
            "voucher": voucher,
            "redemption": redemption,
            "holder": holder,
            "desk": desk,
            "can_claim": desk
            and redemption is not None
            and redemption.claim_id is None
            and voucher.status == VoucherStatus.REDEEMED,
            "claim_url": _claim_links(request.user, [redemption]).get(redemption.claim_id)
            if redemption is not None
            else None,
            "amount": f"{suggested:.2f}" if amount is None and suggested is not None else amount,
            "errors": errors or {},
            "error_message": error_message,
            # segno's SVG: generated from our own URL, no user text inside
            "qr": mark_safe(voucher_qr_svg(voucher)) if holder else "",  # noqa: S308
        },
        status=status,
    )


@login_required
def voucher_detail(request, pk: int):
    return _voucher_page(request, _visible_voucher_or_404(request.user, pk))


@login_required
@require_POST
def voucher_claim(request, pk: int):
    """The agency files its reimbursement claim for a voucher redeemed at its desk: a draft
    application that the portal's application page then carries (attachments, checks, submit,
    the review's answers and the award letter)."""
    voucher = _visible_voucher_or_404(request.user, pk)
    raw = request.POST.get("amount", "").strip()
    errors: dict[str, list[str]] = {}
    amount = _money(raw, "amount", errors)
    if amount is not None:
        try:
            claim = vouchers.voucher_claim_create(
                actor=request.user, voucher=voucher, amount=amount
            )
        except InvalidInput as exc:
            errors = errors_by_field(exc)
        except DomainError as exc:
            return _voucher_page(
                request,
                _visible_voucher_or_404(request.user, pk),
                amount=raw,
                error_message=refusal_message(exc),
                status=refusal_status(exc),
            )
        else:
            messages.success(
                request,
                _(
                    "Claim %(number)s created as a draft. Upload the service contract and the "
                    "proof of delivery, look at the checks, then submit it for review."
                )
                % {"number": claim.number},
            )
            return redirect("portal-application", pk=claim.pk)
    return _voucher_page(request, voucher, amount=raw, errors=errors, error_message=str(FIX_FIELDS))


# ---------------------------------------------------------------- redemption at the agency's desk


def _code_from(raw: str) -> str:
    """The code as typed, pasted, or as the whole link the QR code carries."""
    code = raw.strip()
    if VERIFY_PATH in code:
        code = code.split(VERIFY_PATH, 1)[1].split("?", 1)[0].strip("/").split("/", 1)[0]
    return code


def _voucher_by_code(code: str) -> Voucher | None:
    if not code:
        return None
    try:
        return vouchers.voucher_for_code(code)
    except NotFound:
        return None


def _redeem_page(
    request,
    agencies: list[Agency],
    *,
    form: dict[str, str],
    voucher: Voucher | None,
    errors: dict[str, list[str]] | None = None,
    error_message: str = "",
    status: int = 200,
):
    errors = errors or {}
    chosen = next((a for a in agencies if str(a.pk) == form.get("agency")), None)
    today = timezone.localdate()
    return render(
        request,
        "agencies/voucher_redeem.html",
        {
            "agencies": agencies,
            "chosen": chosen,
            "form": form,
            "voucher": voucher,
            "voucher_usable": voucher is not None
            and voucher.status == VoucherStatus.ISSUED
            and voucher.valid_until >= today,
            "services": service_choices(voucher.services if voucher else None),
            "errors": errors,
            "error_message": error_message,
            "other_errors": [
                m for field, msgs in errors.items() if field not in REDEEM_FIELDS for m in msgs
            ],
            "today": today,
        },
        status=status,
    )


@login_required
def voucher_redeem(request):
    """兑付服务券: someone acting for an agency enters (or pastes, or arrives from the QR code
    with) the voucher's code and the service contract; the voucher is redeemed at the agency."""
    agencies = list(agencies_acted_for(request.user))
    if not agencies:
        return forbidden(
            request,
            _(
                "Vouchers are redeemed by people acting for an IP service agency in the registry; "
                "you act for none."
            ),
        )
    today = timezone.localdate()
    if request.method != "POST":
        code = _code_from(request.GET.get("code", ""))
        form = {
            "code": code,
            "agency": str(
                next((a for a in agencies if a.status == AgencyStatus.ADMITTED), agencies[0]).pk
            ),
            "service": "",
            "contract_number": "",
            "contract_date": today.isoformat(),
            "contract_price": "",
        }
        voucher = _voucher_by_code(code)
        errors = {"code": [_("No voucher with this code.")]} if code and voucher is None else {}
        return _redeem_page(request, agencies, form=form, voucher=voucher, errors=errors)

    form = {k: request.POST.get(k, "").strip() for k in REDEEM_FIELDS}
    form["code"] = _code_from(form["code"])
    errors = {}
    voucher = None
    if not form["code"]:
        errors["code"] = [
            _("Type or paste the voucher's code (the SME sees it under the QR code).")
        ]
    else:
        voucher = _voucher_by_code(form["code"])
        if voucher is None:
            errors["code"] = [_("No voucher with this code.")]
    agency = next((a for a in agencies if str(a.pk) == form["agency"]), None)
    if agency is None:
        errors["agency"] = [_("Choose the agency you act for.")]
    if not form["service"]:
        errors["service"] = [_("Choose the service under the contract.")]
    if not form["contract_number"]:
        errors["contract_number"] = [_("This field is required.")]
    contract_date = _date(form["contract_date"], "contract_date", errors)
    price = _money(form["contract_price"], "contract_price", errors)
    if errors or voucher is None or agency is None or price is None:  # each None left an error
        return _redeem_page(
            request,
            agencies,
            form=form,
            voucher=voucher,
            errors=errors,
            error_message=str(FIX_FIELDS),
        )
    try:
        vouchers.voucher_redeem(
            actor=request.user,
            voucher=voucher,
            agency_id=agency.pk,
            service=form["service"],
            contract_number=form["contract_number"],
            contract_date=contract_date,
            contract_price=price,
            code=form["code"],
        )
    except InvalidInput as exc:
        return _redeem_page(
            request,
            agencies,
            form=form,
            voucher=voucher,
            errors=errors_by_field(exc),
            error_message=str(FIX_FIELDS),
        )
    except DomainError as exc:  # redeemed already, expired, agency not admitted, refused
        return _redeem_page(
            request,
            list(agencies_acted_for(request.user)),
            form=form,
            voucher=_voucher_by_code(form["code"]),
            error_message=refusal_message(exc),
            status=refusal_status(exc),
        )
    messages.success(
        request,
        _(
            "Voucher %(number)s is redeemed at %(agency)s. When the service is delivered, file "
            "the reimbursement claim below."
        )
        % {"number": voucher.number, "agency": agency.organization.name},
    )
    return redirect("voucher-detail", pk=voucher.pk)


def voucher_verify(request, code: str):
    """Public: what a QR code points at. Someone acting for an agency is offered the redemption."""
    try:
        voucher = vouchers.voucher_for_code(code)
    except DomainError:
        voucher = None
    today = timezone.localdate()
    valid = (
        voucher is not None
        and voucher.status == VoucherStatus.ISSUED
        and voucher.valid_until >= today
    )
    return render(
        request,
        "agencies/voucher_verify.html",
        {
            "voucher": voucher,
            "valid": valid,
            "lapsed": voucher is not None
            and voucher.status == VoucherStatus.ISSUED
            and voucher.valid_until < today,
            "desk": valid and agencies_acted_for(request.user).exists(),
            "redeem_url": reverse("voucher-redeem") if voucher else "",
        },
        status=200 if voucher else 404,
    )
