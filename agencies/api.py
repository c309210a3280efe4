"""API v1: the agency registry, service vouchers, redemptions and claims, the custody indicator.

Same conventions as the rest of v1 (shared/spec/api.md): problem+json errors,
``?page=&page_size=`` lists, money as two-place decimal strings. A claim is an
application of the voucher programme: after ``POST /vouchers/{id}/claim`` it
is attached, submitted, reviewed and paid through the ``/applications``,
``/decisions`` and ``/disbursements`` endpoints.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema
from ninja import Status as Reply
from ninja.files import UploadedFile

from agencies.indicators import smes_in_custody
from agencies.models import Agency, AgencyStatus, Service, Voucher
from agencies.selectors import claim_flags, vouchers_visible_to
from agencies.services import registry, vouchers
from config.apikit import MoneyStr, paginate
from grants.errors import Forbidden, InvalidInput, NotFound
from grants.models import Role
from grants.presenters import application_dict, money
from grants.selectors import has_role, visible_application
from grants.services import parse_money

router = Router(tags=["vouchers and agencies"])


class Problem(Schema):
    type: str
    title: str
    status: int
    detail: str


# ---------------------------------------------------------------- serialisers


def agency_dict(agency: Agency) -> dict[str, Any]:
    org = agency.organization
    return {
        "id": agency.pk,
        "organization": org.pk,
        "name": org.name,
        "uscc": org.uscc,
        "district": org.district_id,
        "status": agency.status,
        "services": list(agency.services),
        "admitted_on": agency.admitted_on,
        "qualifications": [
            {
                "name": q.name,
                "number": q.number,
                "issued_on": q.issued_on,
                "expires_on": q.expires_on,
                "lapsed": q.lapsed,
            }
            for q in agency.qualifications.all()
        ],
        "history": [
            {
                "from": c.from_status,
                "to": c.to_status,
                "effective_on": c.effective_on,
                "reason": c.reason,
                "at": timezone.localtime(c.at),
            }
            for c in agency.status_changes.all()
        ],
        "penalties": [
            {
                "decided_on": p.decided_on,
                "authority": p.authority,
                "document_number": p.document_number,
                "reason": p.reason,
            }
            for p in agency.penalties.all()
        ],
    }


def voucher_dict(voucher: Voucher, *, with_code: bool = False) -> dict[str, Any]:
    redemption = getattr(voucher, "redemption", None) if hasattr(voucher, "redemption") else None
    data: dict[str, Any] = {
        "id": voucher.pk,
        "number": voucher.number,
        "program": voucher.program.code,
        "year": voucher.program.year,
        "sme": voucher.sme_id,
        "sme_name": voucher.sme.name,
        "district": voucher.sme.district_id,
        "face_value": money(voucher.face_value),
        "services": list(voucher.services),
        "valid_until": voucher.valid_until,
        "status": voucher.status,
        "issued_at": timezone.localtime(voucher.issued_at),
        "redemption": None,
    }
    if redemption is not None:
        data["redemption"] = {
            "agency": redemption.agency_id,
            "agency_name": redemption.agency.organization.name,
            "service": redemption.service,
            "contract_number": redemption.contract_number,
            "contract_date": redemption.contract_date,
            "contract_price": money(redemption.contract_price),
            "claim": redemption.claim_id,
            "held": redemption.held,
        }
    if with_code:
        data["code"] = voucher.code
        data["qr"] = f"/api/v1/vouchers/{voucher.pk}/qr.svg"
    return data


def _holder(user, voucher: Voucher) -> bool:
    from grants.selectors import is_member

    return has_role(user, Role.ADMIN) or is_member(user, voucher.sme_id)


def _voucher(request, voucher_id: int) -> Voucher:
    voucher = vouchers_visible_to(request.user).filter(pk=voucher_id).first()
    if voucher is None:
        raise NotFound(_("No such voucher, or it is not visible to you."))
    return voucher


# ---------------------------------------------------------------- agencies


class AgencyIn(Schema):
    organization: int
    services: list[str]
    admitted_on: dt.date | None = None


class StatusIn(Schema):
    status: str
    reason: str


class PenaltyIn(Schema):
    decided_on: dt.date
    authority: str
    document_number: str
    reason: str


class QualificationIn(Schema):
    name: str
    number: str = ""
    issued_on: dt.date | None = None
    expires_on: dt.date


@router.get("/agencies", response={200: dict, 422: Problem}, summary="The agency registry")
def agency_list(request, status: str = "", service: str = ""):
    """Every agency with its status; ``?status=admitted`` for those taking vouchers now."""
    qs = Agency.objects.select_related("organization").prefetch_related(
        "qualifications", "status_changes", "penalties"
    )
    errors = []
    if status and status not in AgencyStatus.values:
        errors.append(
            {
                "field": "status",
                "message": _("One of: %(s)s") % {"s": ", ".join(AgencyStatus.values)},
            }
        )
    if service and service not in Service.values:
        errors.append(
            {"field": "service", "message": _("One of: %(s)s") % {"s": ", ".join(Service.values)}}
        )
    if errors:
        raise InvalidInput(errors)
    if status:
        qs = qs.filter(status=status)
    if service:
        if connection.features.supports_json_field_contains:
            qs = qs.filter(services__contains=[service])
        else:  # SQLite: the JSON list's text holds the quoted code
            qs = qs.filter(services__icontains=f'"{service}"')
    return paginate(request, qs.order_by("organization__name", "pk"), agency_dict)


@router.post("/agencies", response={201: dict, 403: Problem, 409: Problem, 422: Problem})
def agency_admit(request, payload: AgencyIn):
    """Admit a registered organisation of kind ``service_agency`` (administrators)."""
    agency = registry.agency_admit(
        actor=request.user,
        organization_id=payload.organization,
        services=payload.services,
        admitted_on=payload.admitted_on,
    )
    return Reply(201, agency_dict(agency))


def _agency(agency_id: int) -> Agency:
    agency = Agency.objects.select_related("organization").filter(pk=agency_id).first()
    if agency is None:
        raise NotFound(_("No such agency."))
    return agency


@router.get("/agencies/{agency_id}", response={200: dict, 404: Problem})
def agency_detail(request, agency_id: int):
    return agency_dict(_agency(agency_id))


@router.post(
    "/agencies/{agency_id}/status", response={200: dict, 403: Problem, 409: Problem, 422: Problem}
)
def agency_status(request, agency_id: int, payload: StatusIn):
    """Suspend, reinstate (``admitted``) or exit an agency, with a reason (administrators)."""
    agency = registry.agency_status_set(
        actor=request.user, agency=_agency(agency_id), status=payload.status, reason=payload.reason
    )
    return agency_dict(agency)


@router.post("/agencies/{agency_id}/penalties", response={201: dict, 403: Problem, 422: Problem})
def agency_penalty(request, agency_id: int, payload: PenaltyIn):
    """Record an administrative penalty: the agency exits the cluster and its open claims are held."""
    registry.penalty_record(
        actor=request.user,
        agency=_agency(agency_id),
        decided_on=payload.decided_on,
        authority=payload.authority,
        document_number=payload.document_number,
        reason=payload.reason,
    )
    return Reply(201, agency_dict(_agency(agency_id)))


@router.post(
    "/agencies/{agency_id}/qualifications", response={201: dict, 403: Problem, 422: Problem}
)
def agency_qualification(request, agency_id: int, payload: QualificationIn):
    registry.qualification_add(
        actor=request.user,
        agency=_agency(agency_id),
        name=payload.name,
        number=payload.number,
        issued_on=payload.issued_on,
        expires_on=payload.expires_on,
    )
    return Reply(201, agency_dict(_agency(agency_id)))


# ---------------------------------------------------------------- vouchers


class VoucherIn(Schema):
    program: str
    organization: int


class RedeemIn(Schema):
    agency: int
    service: str
    contract_number: str
    contract_date: dt.date
    contract_price: MoneyStr


class DeskRedeemIn(RedeemIn):
    code: str


class ClaimIn(Schema):
    amount: MoneyStr


@router.get("/vouchers", response={200: dict, 422: Problem})
def voucher_list(request, program: str = "", status: str = "", sme: int | None = None):
    """Vouchers the caller may see: administrators, finance and auditors all; an SME its own;
    an agency those redeemed at it; reviewers those of SMEs in their jurisdiction."""
    qs = vouchers_visible_to(request.user).select_related("redemption__agency__organization")
    if program:
        qs = qs.filter(program__code=program)
    if status:
        qs = qs.filter(status=status)
    if sme is not None:
        qs = qs.filter(sme_id=sme)
    return paginate(request, qs.order_by("number"), voucher_dict)


@router.post("/vouchers", response={201: dict, 403: Problem, 409: Problem, 422: Problem})
def voucher_issue(request, payload: VoucherIn):
    """Issue one voucher to an eligible SME (administrators): 422 with the failed issuing rules."""
    voucher = vouchers.voucher_issue(
        actor=request.user, program_code=payload.program, organization_id=payload.organization
    )
    return Reply(201, voucher_dict(voucher, with_code=True))


@router.post("/vouchers/bulk", response={200: dict, 403: Problem, 422: Problem})
def voucher_bulk(request, file: File[UploadedFile], program: Form[str]):
    """Issue vouchers from an Excel sheet (.xlsx, first sheet, first row = headers:
    ``统一社会信用代码``/``uscc`` and ``单位名称``/``name`` required, ``区划代码``/``district``
    optional). Valid rows are issued; each rejected row is reported with why."""
    if not has_role(request.user, Role.ADMIN):
        raise Forbidden(_("Only programme administrators manage agencies and vouchers."))
    report = vouchers.vouchers_issue_from_sheet(
        actor=request.user, program_code=program, upload=file
    )
    return {
        "rows": report.rows,
        "issued": len(report.issued),
        "rejected": report.rejected,
        "vouchers": [{"id": v.pk, "number": v.number, "sme": v.sme_id} for v in report.issued],
    }


@router.get("/vouchers/verify/{code}", auth=None, response={200: dict, 404: Problem})
def voucher_verify(request, code: str):
    """Anyone holding the code (e.g. from the QR code) may check a voucher; no login."""
    voucher = vouchers.voucher_for_code(code)
    return {
        "valid": voucher.status == "issued" and voucher.valid_until >= timezone.localdate(),
        "number": voucher.number,
        "status": voucher.status,
        "program": voucher.program.code,
        "sme": voucher.sme.name,
        "face_value": money(voucher.face_value),
        "valid_until": voucher.valid_until,
    }


@router.get("/vouchers/{voucher_id}", response={200: dict, 404: Problem})
def voucher_detail(request, voucher_id: int):
    """The voucher; its holder and administrators also get the secret ``code`` and the QR link."""
    voucher = _voucher(request, voucher_id)
    return voucher_dict(voucher, with_code=_holder(request.user, voucher))


@router.get("/vouchers/{voucher_id}/qr.svg", response={200: None, 404: Problem})
def voucher_qr(request, voucher_id: int):
    """The QR code (SVG) of the voucher's verification link, for its holder and administrators."""
    from agencies.qr import voucher_qr_svg

    voucher = _voucher(request, voucher_id)
    if not _holder(request.user, voucher):
        raise NotFound(_("No such voucher, or it is not visible to you."))
    return HttpResponse(voucher_qr_svg(voucher), content_type="image/svg+xml")


def _redeemed(request, voucher: Voucher, payload: RedeemIn, *, code: str | None = None) -> Reply:
    vouchers.voucher_redeem(
        actor=request.user,
        voucher=voucher,
        agency_id=payload.agency,
        service=payload.service,
        contract_number=payload.contract_number,
        contract_date=payload.contract_date,
        contract_price=parse_money(payload.contract_price, "contract_price"),
        code=code,
    )
    return Reply(201, voucher_dict(Voucher.objects.get(pk=voucher.pk), with_code=False))


@router.post(
    "/vouchers/{voucher_id}/redeem",
    response={201: dict, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
)
def voucher_redeem(request, voucher_id: int, payload: RedeemIn):
    """The SME assigns its voucher to an admitted agency for a service under a contract.
    A second redemption of the same voucher is a 409; so is an agency that is not admitted."""
    return _redeemed(request, _voucher(request, voucher_id), payload)


@router.post(
    "/redemptions",
    response={201: dict, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
)
def voucher_redeem_at_desk(request, payload: DeskRedeemIn):
    """At the agency's desk: someone acting for the agency redeems the voucher whose code the
    SME presents (typed, or read from its QR code). An unknown code is a 404, a second
    redemption or an agency not admitted a 409, as for the SME's own assignment."""
    return _redeemed(request, vouchers.voucher_for_code(payload.code), payload, code=payload.code)


@router.post(
    "/vouchers/{voucher_id}/claim",
    response={201: dict, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
)
def voucher_claim(request, voucher_id: int, payload: ClaimIn):
    """The agency files its reimbursement claim: a draft application of the voucher programme
    (status ``draft``). Attach ``contract`` and ``delivery_proof``, then
    ``POST /applications/{id}/submit``."""
    voucher = _voucher(request, voucher_id)
    amount = parse_money(payload.amount, "amount")
    if amount <= 0:
        raise InvalidInput([{"field": "amount", "message": _("A positive amount.")}])
    application = vouchers.voucher_claim_create(actor=request.user, voucher=voucher, amount=amount)
    data = application_dict(application)
    data["flags"] = claim_flags(application)
    return Reply(201, data)


@router.get("/applications/{application_id}/flags", response={200: dict, 404: Problem})
def application_flags(request, application_id: int):
    """Flags for reviewers on a voucher claim (collusion signs, agency exited): never a rejection."""
    application = visible_application(request.user, application_id)
    return {"application": application.pk, "flags": claim_flags(application)}


@router.get("/indicators/smes-in-custody", response={200: dict, 422: Problem}, tags=["indicators"])
def indicator_custody(request, year: int | None = None):
    """Indicator 9 of the plan: SMEs with a redeemed custody voucher in the year (target 300 a
    year, 1,000 by 2023)."""
    year = year or timezone.localdate().year
    if not 2000 <= year <= 2100:
        raise InvalidInput([{"field": "year", "message": _("A year from 2000 to 2100.")}])
    return {"indicator": "smes_in_ip_custody", "year": year, "value": smes_in_custody(year)}


__all__ = ["router", "AgencyStatus"]
