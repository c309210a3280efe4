"""API v1 endpoints for programmes, jurisdictions, organisations and applications.

Endpoints validate shape with schemas, then call ``grants.services``; who
may see what comes from ``grants.selectors`` only.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema
from ninja import Status as Reply
from ninja.files import UploadedFile
from pydantic import Field

from config.apikit import (
    ERRORS,
    MoneyStr,
    Page,
    Problem,
    StatusMinimalOut,
    minimal_preferred,
    paginate,
    problem,
)
from grants import second_factor, services
from grants.auth import AuthenticatedRequest
from grants.errors import DomainError, Forbidden, InvalidInput, NotFound
from grants.models import Jurisdiction, Program, Role, Status, User
from grants.presenters import (
    ApplicationDict,
    OrganizationDict,
    ProgramDetailDict,
    ProgramDict,
    application_dict,
    application_list_item,
    local,
    organization_dict,
    program_detail_dict,
    program_dict,
)
from grants.selectors import (
    applications_visible_to,
    has_role,
    organizations_visible_to,
    own_application,
    user_roles,
    visible_application,
)
from workflows import lifecycle

router = Router()


# ---------------------------------------------------------------- schemas


class TokenIn(Schema):
    username: str
    password: str
    otp: str | None = Field(
        None,
        description="Staff when two-factor login is on: the 6-digit code of their authenticator "
        "app, or one of their recovery codes. Others leave it out.",
    )


class TokenOut(Schema):
    token: str


class MeOut(Schema):
    username: str
    display_name: str
    roles: list[str]
    organizations: list[int]


class BudgetOut(Schema):
    allocated: str
    committed: str
    paid: str
    available: str


class ProgramOut(Schema):
    code: str
    name: str
    kind: str
    year: int
    levels: list[str]
    cap: str | None
    budget: BudgetOut
    opens: dt.datetime
    closes: dt.datetime
    is_open: bool


class ProgramFieldOut(Schema):
    name: str
    type: str
    required: bool
    label: str
    choices: list[Any]


class CostLineKindOut(Schema):
    code: str
    label: str
    counts_toward_award: bool


class AttachmentKindOut(Schema):
    code: str
    label: str
    required: bool


class RuleSetOut(Schema):
    version: str | None
    sha256: str | None


class ProgramDetailOut(ProgramOut):
    description: str
    allowed_org_kinds: list[str]
    fields: list[ProgramFieldOut]
    cost_line_kinds: list[CostLineKindOut]
    attachment_kinds: list[AttachmentKindOut]
    rule_set: RuleSetOut


class JurisdictionOut(Schema):
    code: str
    name: str
    name_en: str
    level: str
    parent: str | None


class OrganizationIn(Schema):
    name: str
    uscc: str
    kind: str
    district: str
    is_sme: bool = False
    legal_representative: str = ""
    phone: str = ""
    address: str = ""


class OrganizationOut(Schema):
    id: int
    name: str
    uscc: str
    kind: str
    district: str
    is_sme: bool


class CostLineIn(Schema):
    kind: str
    amount: MoneyStr
    reference: str = ""


class CostLineOut(Schema):
    kind: str
    amount: str
    reference: str


class ApplicationIn(Schema):
    program: str
    organization: int
    fields: dict[str, Any] = {}
    cost_lines: list[CostLineIn] = []


class ApplicationPatch(Schema):
    fields: dict[str, Any] | None = None
    cost_lines: list[CostLineIn] | None = None


class AttachmentOut(Schema):
    id: int
    kind: str
    name: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: dt.datetime


class CheckOut(Schema):
    rule: str
    version: str
    passed: bool | None
    severity: str
    reason: str
    reasons: dict[str, str]
    looked_at: dict[str, Any] = {}


class ApplicationOut(Schema):
    id: int
    number: str
    program: str
    program_name: str
    organization: int
    organization_name: str
    district: str
    status: str
    level: str | None
    chain: list[str]
    round: int
    fields: dict[str, Any]
    cost_lines: list[CostLineOut]
    attachments: list[AttachmentOut]
    checks: list[CheckOut]
    rule_set_version: str | None
    award_amount: str | None
    flags: list[dict[str, str]] = Field(
        default=[],
        description="Signs for reviewers that are not verdicts (voucher claims: collusion, agency exited)",
    )
    history: list[dict[str, Any]]
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    updated_at: dt.datetime


class ApplicationListItem(Schema):
    id: int
    number: str
    program: str
    organization: int
    organization_name: str
    district: str
    status: str
    level: str | None
    award_amount: str | None
    submitted_at: dt.datetime | None
    updated_at: dt.datetime


class ApplicationPage(Page):
    results: list[ApplicationListItem]


class OrganizationPage(Page):
    results: list[OrganizationOut]


class WithdrawIn(Schema):
    reason: str = Field(
        description="Why the applicant withdraws (required, at most 4,000 characters)"
    )


SUBMIT_BODY = {
    "required": False,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {
                    "pledge": {
                        "type": "boolean",
                        "description": "true: the applicant confirms the programme's integrity "
                        "pledge (诚信承诺); recorded with the round, user and time",
                    }
                },
            }
        }
    },
}


def _submit_pledge(request: HttpRequest) -> bool:
    """The optional body of a submit: nothing, ``{}``, or ``{"pledge": true|false}``. A body
    that is not declared JSON (an empty form post, as clients sent before the pledge existed)
    is no pledge, as before; declared JSON must be well-formed."""
    content_type = (request.content_type or "").lower()
    if not (content_type == "application/json" or content_type.endswith("+json")):
        return False
    raw = request.body.strip()
    if not raw:
        return False
    try:
        body = json.loads(raw)
    except ValueError:
        raise DomainError(_("The body is not JSON.")) from None
    if not isinstance(body, dict):
        raise InvalidInput(
            [{"field": "", "message": _('The body is an object such as {"pledge": true}.')}]
        )
    pledge = body.get("pledge", False)
    if not isinstance(pledge, bool):
        raise InvalidInput([{"field": "pledge", "message": _("true or false expected.")}])
    return pledge


class AuditVerifyOut(Schema):
    ok: bool
    entries: int
    first_bad_entry: int | None
    reason: str


# ---------------------------------------------------------------- endpoints


@router.post(
    "/auth/token",
    auth=None,
    response={200: TokenOut, 400: Problem, 401: Problem, 422: Problem, 429: Problem},
    tags=["auth"],
    summary="Exchange username and password (and, for staff with two-factor login, otp) for a "
    "bearer token",
    description="The token ends when unused for FUNDFLOW_TOKEN_IDLE_HOURS, at the latest after "
    "FUNDFLOW_TOKEN_TTL_HOURS, when its holder's password changes, or with DELETE. Too many "
    "failed attempts lock the account out for a while (429).",
)
def auth_token(request: HttpRequest, payload: TokenIn) -> JsonResponse | dict[str, str]:
    user = authenticate(request, username=payload.username, password=payload.password)
    if user is None:
        return problem(
            401,
            "bad-credentials",
            _("Wrong username or password"),
            _("The username or password is not correct, or the account is disabled."),
        )
    assert isinstance(user, User)
    verified = False
    if second_factor.second_factor_required(user):
        if not second_factor.has_second_factor(user):
            return problem(
                401,
                "second-factor-not-set-up",
                _("Two-factor login is not set up"),
                _(
                    "This account needs a second factor. Log in on the web once to set up "
                    "an authenticator app, then send its code as otp."
                ),
            )
        if not payload.otp:
            return problem(
                401,
                "second-factor-required",
                _("The code of your authenticator app is required"),
                _("Send the 6-digit code of your authenticator app (or a recovery code) as otp."),
            )
        if second_factor.second_factor_check(user=user, code=payload.otp) is None:
            # A wrong code counts as a failed login (login limits).
            user_login_failed.send(
                sender=__name__, credentials={"username": payload.username}, request=request
            )
            return problem(
                401,
                "second-factor-wrong",
                _("The code is not correct"),
                _("The code is wrong or has expired; wait for the next code and try again."),
            )
        verified = True
    token = services.token_issue(user=user, second_factor=verified)
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    return {"token": token}


@router.delete(
    "/auth/token",
    response={204: None, 400: Problem, 401: Problem},
    tags=["auth"],
    summary="Revoke the bearer token of this request: it then gets 401",
)
def auth_token_revoke(request: HttpRequest) -> Reply[None] | JsonResponse:
    kind, _sep, raw = request.headers.get("Authorization", "").partition(" ")
    if kind.lower() != "bearer" or not raw.strip():
        return problem(
            400,
            "malformed",
            _("No bearer token"),
            _("Send the token to revoke as Authorization: Bearer <token>."),
        )
    services.token_revoke(raw=raw.strip())
    return Reply(204, None)


@router.get(
    "/me", response=MeOut, tags=["auth"], summary="Who am I, with my roles and organisations"
)
def me(request: AuthenticatedRequest) -> dict[str, Any]:
    user = request.user
    return {
        "username": user.username,
        "display_name": user.display_name,
        "roles": sorted(user_roles(user)),
        "organizations": list(user.memberships.values_list("organization_id", flat=True)),
    }


@router.get("/programs", response=list[ProgramOut], tags=["programmes"])
def program_list(request: AuthenticatedRequest) -> list[ProgramDict]:
    programs = Program.objects.filter(is_active=True).prefetch_related("budgets")
    return [program_dict(p) for p in programs]


@router.get("/programs/{code}", response={200: ProgramDetailOut, 404: Problem}, tags=["programmes"])
def program_detail(request: AuthenticatedRequest, code: str) -> ProgramDetailDict:
    program = (
        Program.objects.filter(code=code, is_active=True)
        .prefetch_related("budgets", "fields", "cost_line_kinds", "attachment_kinds")
        .first()
    )
    if program is None:
        raise NotFound(_("Unknown programme “%(p)s”.") % {"p": code})
    return program_detail_dict(program)


@router.get("/jurisdictions", response=list[JurisdictionOut], tags=["organisations"])
def jurisdiction_list(request: AuthenticatedRequest) -> list[dict[str, Any]]:
    return [
        {
            "code": j.code,
            "name": j.name,
            "name_en": j.name_en,
            "level": j.level,
            "parent": j.parent_id,
        }
        for j in Jurisdiction.objects.all()
    ]


@router.post(
    "/organizations",
    response={201: OrganizationOut, **ERRORS},
    tags=["organisations"],
    summary="Register an organisation; the caller becomes its owner",
)
def organization_create(
    request: AuthenticatedRequest, payload: OrganizationIn
) -> Reply[OrganizationDict]:
    if not has_role(request.user, Role.APPLICANT):
        raise Forbidden(_("Only applicants register organisations."))
    org = services.organization_register(actor=request.user, **payload.dict())
    return Reply(201, organization_dict(org))


@router.get(
    "/organizations",
    response=OrganizationPage,
    tags=["organisations"],
    summary="Organisations visible to the caller",
)
def organization_list(request: AuthenticatedRequest) -> dict[str, Any]:
    return paginate(
        request, organizations_visible_to(request.user).order_by("id"), organization_dict
    )


@router.get(
    "/organizations/{org_id}", response={200: OrganizationOut, 404: Problem}, tags=["organisations"]
)
def organization_detail(request: AuthenticatedRequest, org_id: int) -> OrganizationDict:
    org = organizations_visible_to(request.user).filter(pk=org_id).first()
    if org is None:
        raise NotFound(_("No such organisation, or it is not visible to you."))
    return organization_dict(org)


@router.post(
    "/applications",
    response={201: ApplicationOut, **ERRORS},
    tags=["applications"],
    summary="Create a draft application",
)
def application_create(
    request: AuthenticatedRequest, payload: ApplicationIn
) -> Reply[ApplicationDict]:
    app = services.application_create(
        actor=request.user,
        program_code=payload.program,
        organization_id=payload.organization,
        fields=payload.fields,
        cost_lines=[line.dict() for line in payload.cost_lines],
    )
    return Reply(201, application_dict(app))


@router.get("/applications", response={200: ApplicationPage, 422: Problem}, tags=["applications"])
def application_list(
    request: AuthenticatedRequest,
    program: str = "",
    status: str = "",
    level: str = "",
    district: str = "",
) -> dict[str, Any]:
    qs = applications_visible_to(request.user)
    errors: list[dict[str, str]] = []
    if program:
        qs = qs.filter(program__code=program)
    if status:
        if status not in Status.values:
            errors.append(
                {"field": "status", "message": _("One of: %(s)s") % {"s": ", ".join(Status.values)}}
            )
        qs = qs.filter(status=status)
    if level:
        qs = qs.filter(level=level)
    if district:
        place = Jurisdiction.objects.filter(code=district).first()
        if place is None:
            errors.append({"field": "district", "message": _("Unknown jurisdiction code.")})
        else:
            qs = qs.filter(organization__district__path__startswith=place.path)
    if errors:
        raise InvalidInput(errors)
    return paginate(request, qs.order_by("-id"), application_list_item)


@router.get(
    "/applications/{application_id}",
    response={200: ApplicationOut, 404: Problem},
    tags=["applications"],
)
def application_detail(request: AuthenticatedRequest, application_id: int) -> ApplicationDict:
    return application_dict(visible_application(request.user, application_id))


@router.patch(
    "/applications/{application_id}",
    response={200: ApplicationOut, **ERRORS},
    tags=["applications"],
    summary="Change fields or cost lines while draft or returned",
)
def application_patch(
    request: AuthenticatedRequest, application_id: int, payload: ApplicationPatch
) -> ApplicationDict:
    app = own_application(request.user, application_id)
    data = payload.dict(exclude_unset=True)
    lines = data.get("cost_lines")
    services.application_update(
        actor=request.user,
        application=app,
        fields=data.get("fields"),
        cost_lines=None if lines is None else [dict(line) for line in lines],
    )
    return application_dict(visible_application(request.user, application_id))


@router.post(
    "/applications/{application_id}/attachments",
    response={201: AttachmentOut, **ERRORS},
    tags=["applications"],
    summary="Upload a PDF, JPEG or PNG (checked by content, at most 20 MB)",
)
def attachment_upload(
    request: AuthenticatedRequest, application_id: int, file: File[UploadedFile], kind: Form[str]
) -> Reply[dict[str, Any]]:
    app = own_application(request.user, application_id)
    att = services.attachment_add(actor=request.user, application=app, kind=kind, upload=file)
    return Reply(
        201,
        {
            "id": att.pk,
            "kind": att.kind,
            "name": att.original_name,
            "content_type": att.content_type,
            "size": att.size,
            "sha256": att.sha256,
            "uploaded_at": local(att.uploaded_at),
        },
    )


@router.get(
    "/applications/{application_id}/attachments/{attachment_id}",
    tags=["applications"],
    response={200: None, 404: Problem},
    summary="Download an attachment",
)
def attachment_download(
    request: AuthenticatedRequest, application_id: int, attachment_id: int
) -> FileResponse:
    app = visible_application(request.user, application_id)
    att = get_object_or_404(app.attachments, pk=attachment_id)
    response = FileResponse(
        att.file.open("rb"),
        content_type=att.content_type,
        as_attachment=True,
        filename=att.original_name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.delete(
    "/applications/{application_id}/attachments/{attachment_id}",
    response={204: None, **ERRORS},
    tags=["applications"],
    summary="Delete an attachment while the application is draft or returned (409 otherwise)",
)
def attachment_delete(
    request: AuthenticatedRequest, application_id: int, attachment_id: int
) -> Reply[None]:
    app = own_application(request.user, application_id)
    services.attachment_delete(actor=request.user, application=app, attachment_id=attachment_id)
    return Reply(204, None)


@router.post(
    "/applications/{application_id}/submit",
    response={200: ApplicationOut | StatusMinimalOut, **ERRORS},
    tags=["applications"],
    summary="Run the rules and submit to the first review level",
    description=(
        'An optional body `{"pledge": true}` records the integrity pledge (诚信承诺). '
        "Answers with the application as GET returns it; with the request header "
        "`Prefer: return=minimal` only `{id, status, level}` (and `Preference-Applied`)."
    ),
    openapi_extra={"requestBody": SUBMIT_BODY},
)
def application_submit(
    request: AuthenticatedRequest, application_id: int, response: HttpResponse
) -> ApplicationDict | dict[str, object]:
    app = own_application(request.user, application_id)
    pledge = _submit_pledge(request)
    app = lifecycle.submit(actor=request.user, application=app, pledge=pledge)
    if minimal_preferred(request, response):
        return {"id": app.pk, "status": app.status, "level": app.level or None}
    return application_dict(visible_application(request.user, application_id))


@router.post(
    "/applications/{application_id}/withdraw",
    response={200: ApplicationOut, **ERRORS},
    tags=["applications"],
    summary="Withdraw before a final decision: status withdrawn (final), open tasks cancelled",
)
def application_withdraw(
    request: AuthenticatedRequest, application_id: int, payload: WithdrawIn
) -> ApplicationDict:
    app = own_application(request.user, application_id)
    lifecycle.withdraw(actor=request.user, application=app, reason=payload.reason)
    return application_dict(visible_application(request.user, application_id))


@router.get(
    "/audit/verify",
    response={200: AuditVerifyOut, 403: Problem},
    tags=["audit"],
    summary="Check the tamper-evident audit log",
)
def audit_verify(request: AuthenticatedRequest) -> dict[str, Any]:
    if not has_role(request.user, Role.AUDITOR, Role.ADMIN):
        raise Forbidden(_("Only auditors verify the audit log."))
    from grants.audit import audit_verify as verify

    verdict = verify()
    return {
        "ok": verdict.ok,
        "entries": verdict.entries,
        "first_bad_entry": verdict.first_bad_entry,
        "reason": verdict.reason,
    }
