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
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema
from ninja import Status as Reply
from ninja.errors import HttpError
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
from grants import organizations, second_factor, services
from grants.auth import AuthenticatedRequest
from grants.errors import DomainError, Forbidden, InvalidInput, NotFound
from grants.models import (
    AuthorityLetter,
    BankDetailsChange,
    Invitation,
    JoinRequest,
    Jurisdiction,
    Membership,
    Organization,
    OrganizationDispute,
    Program,
    Role,
    Status,
    User,
)
from grants.orgchecks import bank_input
from grants.presenters import (
    ApplicationDict,
    OrganizationDict,
    ProgramDetailDict,
    ProgramDict,
    application_dict,
    application_list_item,
    bank_change_dict,
    dispute_dict,
    invitation_dict,
    join_request_dict,
    letter_dict,
    local,
    member_dict,
    organization_dict,
    program_detail_dict,
    program_dict,
)
from grants.selectors import (
    applications_visible_to,
    checks_organizations_of,
    has_role,
    is_org_admin,
    organization_role,
    organizations_visible_to,
    own_application,
    user_roles,
    visible_application,
)
from programs import definition, versions
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
    help: str = ""


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
    steps: list[str] = Field(
        default_factory=list,
        description="The steps switched on after the review chain: expert_review, "
        "public_notice, milestones (navigation runs its own)",
    )
    ranking: dict[str, Any] = Field(
        default_factory=dict, description="The merit ranking (择优); {}: by submission time"
    )
    indicators: list[dict[str, Any]] = Field(
        default_factory=list,
        description="The plan indicators its awards feed ({number, measure, field})",
    )


class JurisdictionOut(Schema):
    code: str
    name: str
    name_en: str
    level: str
    parent: str | None


class BankAccountIn(Schema):
    account_name: str = ""
    bank_name: str = ""
    account_number: str = Field("", description="Digits; spaces between groups are removed")
    cnaps_code: str = Field("", description="The bank's 12-digit code (行号, CNAPS), where known")


class OrganizationIn(Schema):
    name: str
    uscc: str
    kind: str
    district: str
    is_sme: bool = False
    legal_representative: str = ""
    phone: str = ""
    address: str = ""
    bank_account: BankAccountIn | None = Field(
        None, description="Optional; given at registration the details count as confirmed"
    )
    cnaps_code: str = Field("", description="The 行号 may also be given here")


class BankAccountOut(Schema):
    account_name: str
    bank_name: str
    account_number: str
    cnaps_code: str
    confirmed: bool
    confirmed_at: dt.datetime | None


class BankChangeOut(Schema):
    id: int
    account_name: str
    bank_name: str
    account_number: str
    cnaps_code: str
    status: str
    proposed_by: str
    proposed_at: dt.datetime | None
    decided_by: str | None
    decided_at: dt.datetime | None
    comment: str


class OrganizationOut(Schema):
    id: int
    name: str
    uscc: str
    kind: str
    district: str
    is_sme: bool
    legal_representative: str = ""
    phone: str = ""
    address: str = ""
    bank_account: BankAccountOut | None = Field(
        None, description="The confirmed details payments use; null when there are none"
    )
    cnaps_code: str | None = None
    bank_account_pending: BankChangeOut | None = Field(
        None, description="A change waiting for another administrator's confirmation"
    )
    disputed: bool = Field(
        False, description="Who may act for it is disputed: no new application until resolved"
    )


class OrganizationPatch(Schema):
    name: str | None = None
    is_sme: bool | None = None
    legal_representative: str | None = None
    phone: str | None = None
    address: str | None = None
    bank_account: BankAccountIn | None = Field(
        None, description="New details wait for another administrator's confirmation"
    )
    cnaps_code: str | None = None


class RequesterOut(Schema):
    user_id: int
    username: str
    display_name: str
    email: str


class JoinRequestIn(Schema):
    message: str = ""


class JoinRequestOut(Schema):
    id: int
    organization: int
    kind: str
    status: str
    message: str
    created_at: dt.datetime
    decided_at: dt.datetime | None
    reason: str
    requester: RequesterOut | None = None


class ReasonIn(Schema):
    reason: str = ""


class CommentIn(Schema):
    comment: str = ""


class MemberOut(Schema):
    user_id: int
    username: str
    display_name: str
    email: str
    role: str
    since: dt.datetime


class RoleIn(Schema):
    role: str = Field(description="admin (administrator) or staff")


class InvitationIn(Schema):
    email: str
    role: str = "staff"


class InvitationOut(Schema):
    id: int
    organization: int
    email: str
    role: str
    status: str
    invited_by: str
    created_at: dt.datetime
    expires_at: dt.datetime
    accepted_at: dt.datetime | None


class InvitationAcceptIn(Schema):
    token: str


class LetterOut(Schema):
    id: int
    organization: int
    claim: int | None
    name: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: dt.datetime
    status: str
    checked_at: dt.datetime | None
    comment: str


class LetterCheckIn(Schema):
    decision: str = Field(description="accept or refuse (a refusal needs a comment)")
    comment: str = ""


class DisputeIn(Schema):
    reason: str


class DisputeOut(Schema):
    id: int
    organization: int
    claim: int | None
    reason: str
    status: str
    opened_at: dt.datetime
    resolved_at: dt.datetime | None
    resolution: str


class DisputeResolveIn(Schema):
    outcome: str = Field(description="upheld or dismissed")
    resolution: str
    remove_others: bool = False


class RegionOverrideIn(Schema):
    uscc: str
    district: str
    reason: str


class RegionOverrideOut(Schema):
    id: int
    uscc: str
    district: str
    reason: str
    created_at: dt.datetime


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


@router.post(
    "/programs",
    response={201: dict[str, Any], **ERRORS},
    tags=["programmes"],
    summary="Create a programme from its definition, fundflow.program/1 (administrators): 422 "
    "with errors[].field as JSON paths into the document and nothing written; 409 when the "
    "code is taken",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/ProgramDefinition"}}
            },
        },
        "responses": {
            201: {
                "description": "The programme, as its definition now reads",
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/ProgramDefinition"}
                    }
                },
            }
        },
    },
)
def program_create(request: AuthenticatedRequest) -> Any:
    definition.require_admin(request.user)
    try:
        document = json.loads(request.body or b"null")
    except ValueError:
        raise HttpError(400, _("The body is not JSON.")) from None
    program = versions.program_create(actor=request.user, document=document)
    return Reply(201, definition.definition_export(program))


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
    summary="Register an organisation; the caller becomes its administrator",
    description=(
        "The USCC's registration authority (characters 3–8) must lie in the district's city "
        "(422 at `uscc` otherwise, unless an administrator allowed an exception). A code "
        "already registered is a 409 whose `organization` is the number to send a join "
        "request to. Bank details given here count as confirmed."
    ),
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
    pending = BankDetailsChange.objects.filter(
        status=BankDetailsChange.Status.PENDING
    ).select_related("proposed_by", "decided_by")
    open_dispute = OrganizationDispute.objects.filter(
        organization=OuterRef("pk"), status=OrganizationDispute.Status.OPEN
    )
    orgs = (
        organizations_visible_to(request.user)
        .annotate(is_disputed=Exists(open_dispute))
        .prefetch_related(Prefetch("bank_changes", pending, to_attr="pending_bank_changes"))
        .order_by("id")
    )
    return paginate(request, orgs, organization_dict)


def _visible_org(user: User, org_id: int) -> Organization:
    org = organizations_visible_to(user).filter(pk=org_id).first()
    if org is None:
        raise NotFound(_("No such organisation, or it is not visible to you."))
    return org


@router.get(
    "/organizations/{org_id}", response={200: OrganizationOut, 404: Problem}, tags=["organisations"]
)
def organization_detail(request: AuthenticatedRequest, org_id: int) -> OrganizationDict:
    return organization_dict(_visible_org(request.user, org_id))


@router.patch(
    "/organizations/{org_id}",
    response={200: OrganizationOut, **ERRORS},
    tags=["organisations"],
    summary="Change the organisation's facts (administrators)",
    description=(
        "Name, SME flag, legal representative, phone, address change at once (audited). "
        "New `bank_account` details wait in `bank_account_pending` until another "
        "administrator confirms them (or a district reviewer, where the organisation has one "
        "administrator); payments use the confirmed details until then."
    ),
)
def organization_patch(
    request: AuthenticatedRequest, org_id: int, payload: OrganizationPatch
) -> OrganizationDict:
    org = _visible_org(request.user, org_id)
    if not is_org_admin(request.user, org.pk):  # staff, reviewers, auditors: visible, not theirs
        raise Forbidden(_("Only the organisation's administrators may do this."))
    data = payload.dict(exclude_unset=True)
    bank = data.pop("bank_account", None)
    cnaps = data.pop("cnaps_code", None)
    with transaction.atomic():  # all of it or nothing
        if data:
            organizations.organization_update(actor=request.user, organization=org, changes=data)
        if bank is not None or cnaps:
            organizations.bank_details_propose(
                actor=request.user, organization=org, details=bank_input(bank, cnaps)
            )
    return organization_dict(_visible_org(request.user, org_id))


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


# ---------------------------------------------------------------- an organisation's people


def _optional_body(request: HttpRequest) -> dict[str, Any]:
    """A JSON object body that may be left out (``POST …/approve`` with no body)."""
    import json

    if not request.body.strip():
        return {}
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput([{"field": "body", "message": _("Malformed JSON.")}]) from None
    if not isinstance(body, dict):
        raise InvalidInput([{"field": "body", "message": _("A JSON object is expected.")}])
    return body


def _text_field(body: dict[str, Any], name: str) -> str:
    value = body.get(name, "")
    if not isinstance(value, str):
        raise InvalidInput([{"field": name, "message": _("Text expected.")}])
    return value


@router.get(
    "/organizations/{org_id}/members",
    response={200: list[MemberOut], **ERRORS},
    tags=["organisations"],
    summary="Who acts for the organisation, with their roles",
)
def member_list(request: AuthenticatedRequest, org_id: int) -> list[dict[str, Any]]:
    org = _visible_org(request.user, org_id)
    memberships = Membership.objects.filter(organization=org).select_related("user")
    return [member_dict(m) for m in memberships.order_by("created_at", "id")]


@router.post(
    "/organizations/{org_id}/members/{user_id}/role",
    response={200: MemberOut, **ERRORS},
    tags=["organisations"],
    summary="Make a member administrator or staff (administrators; the last one stays)",
)
def member_role(
    request: AuthenticatedRequest, org_id: int, user_id: int, payload: RoleIn
) -> dict[str, Any]:
    org = _visible_org(request.user, org_id)
    membership = organizations.member_set_role(
        actor=request.user, organization=org, user_id=user_id, role=payload.role
    )
    return member_dict(membership)


@router.delete(
    "/organizations/{org_id}/members/{user_id}",
    response={204: None, **ERRORS},
    tags=["organisations"],
    summary="Remove a member (administrators), or leave (oneself); never the last administrator",
)
def member_delete(request: AuthenticatedRequest, org_id: int, user_id: int) -> Reply[None]:
    org = _visible_org(request.user, org_id)
    organizations.member_remove(actor=request.user, organization=org, user_id=user_id)
    return Reply(204, None)


# ---------------------------------------------------------------- join requests and claims


@router.post(
    "/organizations/{org_id}/join-requests",
    response={201: JoinRequestOut, **ERRORS},
    tags=["organisations"],
    summary="Ask to act for an organisation someone else registered",
    description=(
        "For an applicant who does not act for it (the number comes with the 409 of a "
        "registration under a code already registered). Its administrators approve or "
        "reject; until approved the requester sees nothing of the organisation."
    ),
)
def join_request_create(request: AuthenticatedRequest, org_id: int) -> Reply[dict[str, Any]]:
    body = _optional_body(request)
    join = organizations.join_request_create(
        actor=request.user, organization_id=org_id, message=_text_field(body, "message")
    )
    return Reply(201, join_request_dict(join))


@router.post(
    "/organizations/{org_id}/claims",
    response={201: JoinRequestOut, **ERRORS},
    tags=["organisations"],
    summary="Claim an organisation registered without its authority (with a 授权委托书)",
    description=(
        "Multipart `file` (the authorisation letter, PDF) and `message` (why). The "
        "organisation is disputed — no new application — until a reviewer of its district "
        "resolves the dispute."
    ),
)
def claim_create(
    request: AuthenticatedRequest, org_id: int, file: File[UploadedFile], message: Form[str]
) -> Reply[dict[str, Any]]:
    claim = organizations.claim_create(
        actor=request.user, organization_id=org_id, message=message, letter=file
    )
    return Reply(201, join_request_dict(claim))


@router.get(
    "/join-requests",
    response=list[JoinRequestOut],
    tags=["organisations"],
    summary="My join requests and claims, with where each stands",
)
def my_join_requests(request: AuthenticatedRequest) -> list[dict[str, Any]]:
    mine = JoinRequest.objects.filter(user=request.user).order_by("-id")[:200]
    return [join_request_dict(r) for r in mine]


def _admin_view(user: User, org: Organization) -> None:
    """Administrators of the organisation and its district's reviewers; other members 403."""
    if is_org_admin(user, org.pk) or checks_organizations_of(user, org):
        return
    raise Forbidden(_("Only the organisation's administrators may see this."))


@router.get(
    "/organizations/{org_id}/join-requests",
    response={200: list[JoinRequestOut], **ERRORS},
    tags=["organisations"],
    summary="Join requests and claims sent to the organisation (its administrators)",
)
def join_request_list(
    request: AuthenticatedRequest, org_id: int, status: str = ""
) -> list[dict[str, Any]]:
    org = _visible_org(request.user, org_id)
    _admin_view(request.user, org)
    qs = JoinRequest.objects.filter(organization=org).select_related("user")
    if status:
        qs = qs.filter(status=status)
    return [join_request_dict(r, for_admins=True) for r in qs.order_by("-id")[:500]]


def _join_request(user: User, org_id: int, request_id: int) -> JoinRequest:
    join = (
        JoinRequest.objects.select_related("organization__district", "user")
        .filter(pk=request_id, organization_id=org_id)
        .first()
        if organizations.is_row_id(org_id)
        else None
    )
    if join is None or (
        join.user_id != user.pk and organization_role(user, join.organization_id) is None
    ):
        raise NotFound(_("No such request."))
    return join


@router.post(
    "/organizations/{org_id}/join-requests/{request_id}/approve",
    response={200: JoinRequestOut, **ERRORS},
    tags=["organisations"],
    summary="Approve a join request: the requester becomes staff (administrators)",
)
def join_request_approve(
    request: AuthenticatedRequest, org_id: int, request_id: int
) -> dict[str, Any]:
    body = _optional_body(request)
    join = organizations.join_request_decide(
        actor=request.user,
        join_request=_join_request(request.user, org_id, request_id),
        approve=True,
        reason=_text_field(body, "reason"),
    )
    return join_request_dict(join, for_admins=True)


@router.post(
    "/organizations/{org_id}/join-requests/{request_id}/reject",
    response={200: JoinRequestOut, **ERRORS},
    tags=["organisations"],
    summary="Reject a join request (administrators); the requester sees nothing of it",
)
def join_request_reject(
    request: AuthenticatedRequest, org_id: int, request_id: int
) -> dict[str, Any]:
    body = _optional_body(request)
    join = organizations.join_request_decide(
        actor=request.user,
        join_request=_join_request(request.user, org_id, request_id),
        approve=False,
        reason=_text_field(body, "reason"),
    )
    return join_request_dict(join, for_admins=True)


@router.post(
    "/organizations/{org_id}/join-requests/{request_id}/withdraw",
    response={200: JoinRequestOut, **ERRORS},
    tags=["organisations"],
    summary="Withdraw one's own request or claim",
)
def join_request_withdraw(
    request: AuthenticatedRequest, org_id: int, request_id: int
) -> dict[str, Any]:
    join = organizations.join_request_withdraw(
        actor=request.user, join_request=_join_request(request.user, org_id, request_id)
    )
    return join_request_dict(join)


# ---------------------------------------------------------------- invitations


@router.post(
    "/organizations/{org_id}/invitations",
    response={201: InvitationOut, **ERRORS},
    tags=["organisations"],
    summary="Invite a colleague by e-mail (administrators)",
)
def invitation_create(
    request: AuthenticatedRequest, org_id: int, payload: InvitationIn
) -> Reply[dict[str, Any]]:
    org = _visible_org(request.user, org_id)
    invitation = organizations.invitation_send(
        actor=request.user, organization=org, email=payload.email, role=payload.role
    )
    return Reply(201, invitation_dict(invitation))


@router.get(
    "/organizations/{org_id}/invitations",
    response={200: list[InvitationOut], **ERRORS},
    tags=["organisations"],
    summary="Invitations sent for the organisation (administrators)",
)
def invitation_list(request: AuthenticatedRequest, org_id: int) -> list[dict[str, Any]]:
    org = _visible_org(request.user, org_id)
    if not is_org_admin(request.user, org.pk):
        raise Forbidden(_("Only the organisation's administrators may see this."))
    qs = Invitation.objects.filter(organization=org).select_related("invited_by")
    return [invitation_dict(i) for i in qs.order_by("-id")[:500]]


@router.post(
    "/organizations/{org_id}/invitations/{invitation_id}/revoke",
    response={200: InvitationOut, **ERRORS},
    tags=["organisations"],
    summary="Revoke an invitation not yet accepted (administrators)",
)
def invitation_revoke(
    request: AuthenticatedRequest, org_id: int, invitation_id: int
) -> dict[str, Any]:
    org = _visible_org(request.user, org_id)
    invitation = Invitation.objects.filter(pk=invitation_id, organization=org).first()
    if invitation is None:
        raise NotFound(_("No such invitation."))
    return invitation_dict(
        organizations.invitation_revoke(actor=request.user, invitation=invitation)
    )


@router.post(
    "/invitations/accept",
    response={200: OrganizationOut, **ERRORS},
    tags=["organisations"],
    summary="Accept an invitation with the token of its link (logged in with the invited address)",
)
def invitation_accept(
    request: AuthenticatedRequest, payload: InvitationAcceptIn
) -> OrganizationDict:
    membership = organizations.invitation_accept(actor=request.user, token=payload.token)
    return organization_dict(_visible_org(request.user, membership.organization_id))


# ---------------------------------------------------------------- authorisation letters and disputes


@router.post(
    "/organizations/{org_id}/authority-letters",
    response={201: LetterOut, **ERRORS},
    tags=["organisations"],
    summary="Give the organisation's authorisation letter (授权委托书, PDF) for the district reviewer",
)
def letter_upload(
    request: AuthenticatedRequest, org_id: int, file: File[UploadedFile]
) -> Reply[dict[str, Any]]:
    org = _visible_org(request.user, org_id)
    letter = organizations.authority_letter_add(actor=request.user, organization=org, upload=file)
    return Reply(201, letter_dict(letter))


@router.get(
    "/organizations/{org_id}/authority-letters",
    response={200: list[LetterOut], **ERRORS},
    tags=["organisations"],
    summary="Authorisation letters (the organisation's administrators, its district's reviewers)",
)
def letter_list(request: AuthenticatedRequest, org_id: int) -> list[dict[str, Any]]:
    org = _visible_org(request.user, org_id)
    _admin_view(request.user, org)
    qs = AuthorityLetter.objects.filter(organization=org).select_related("uploaded_by")
    return [letter_dict(letter) for letter in qs.order_by("-id")]


def _letter(user: User, org_id: int, letter_id: int) -> AuthorityLetter:
    org = _visible_org(user, org_id)
    _admin_view(user, org)
    letter = (
        AuthorityLetter.objects.select_related("organization__district", "uploaded_by")
        .filter(pk=letter_id, organization=org)
        .first()
    )
    if letter is None:
        raise NotFound(_("No such letter."))
    return letter


@router.get(
    "/organizations/{org_id}/authority-letters/{letter_id}/file",
    response={200: None, **ERRORS},
    tags=["organisations"],
    summary="Download an authorisation letter",
)
def letter_file(request: AuthenticatedRequest, org_id: int, letter_id: int) -> FileResponse:
    letter = _letter(request.user, org_id, letter_id)
    response = FileResponse(
        letter.file.open("rb"),
        content_type="application/pdf",
        as_attachment=True,
        filename=letter.original_name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.post(
    "/organizations/{org_id}/authority-letters/{letter_id}/check",
    response={200: LetterOut, **ERRORS},
    tags=["organisations"],
    summary="Accept or refuse an authorisation letter (a reviewer of the organisation's district)",
)
def letter_check(
    request: AuthenticatedRequest, org_id: int, letter_id: int, payload: LetterCheckIn
) -> dict[str, Any]:
    if payload.decision not in ("accept", "refuse"):
        raise InvalidInput([{"field": "decision", "message": _("accept or refuse.")}])
    letter = _letter(request.user, org_id, letter_id)
    checked = organizations.authority_letter_check(
        actor=request.user,
        letter=letter,
        accepted=payload.decision == "accept",
        comment=payload.comment,
    )
    return letter_dict(checked)


@router.get(
    "/organizations/{org_id}/disputes",
    response={200: list[DisputeOut], **ERRORS},
    tags=["organisations"],
    summary="Disputes over who may act for the organisation",
)
def dispute_list(request: AuthenticatedRequest, org_id: int) -> list[dict[str, Any]]:
    org = _visible_org(request.user, org_id)
    return [dispute_dict(d) for d in OrganizationDispute.objects.filter(organization=org)]


@router.post(
    "/organizations/{org_id}/disputes",
    response={201: DisputeOut, **ERRORS},
    tags=["organisations"],
    summary="Dispute who may act for the organisation (a reviewer of its district)",
)
def dispute_create(
    request: AuthenticatedRequest, org_id: int, payload: DisputeIn
) -> Reply[dict[str, Any]]:
    org = _visible_org(request.user, org_id)
    dispute = organizations.dispute_open(
        actor=request.user, organization=org, reason=payload.reason
    )
    return Reply(201, dispute_dict(dispute))


@router.post(
    "/organizations/{org_id}/disputes/{dispute_id}/resolve",
    response={200: DisputeOut, **ERRORS},
    tags=["organisations"],
    summary="Resolve a dispute: upheld or dismissed (a reviewer of its district)",
)
def dispute_resolve(
    request: AuthenticatedRequest, org_id: int, dispute_id: int, payload: DisputeResolveIn
) -> dict[str, Any]:
    org = _visible_org(request.user, org_id)
    dispute = OrganizationDispute.objects.filter(pk=dispute_id, organization=org).first()
    if dispute is None:
        raise NotFound(_("No such dispute."))
    resolved = organizations.dispute_resolve(
        actor=request.user,
        dispute=dispute,
        outcome=payload.outcome,
        resolution=payload.resolution,
        remove_others=payload.remove_others,
    )
    return dispute_dict(resolved)


# ---------------------------------------------------------------- bank details


@router.get(
    "/organizations/{org_id}/bank-account/changes",
    response={200: list[BankChangeOut], **ERRORS},
    tags=["organisations"],
    summary="Bank details proposed for the organisation, with their confirmation",
)
def bank_change_list(request: AuthenticatedRequest, org_id: int) -> list[Any]:
    org = _visible_org(request.user, org_id)
    qs = BankDetailsChange.objects.filter(organization=org).select_related(
        "proposed_by", "decided_by"
    )
    return [bank_change_dict(c) for c in qs.order_by("-id")[:200]]


def _bank_change(user: User, org_id: int, change_id: int) -> BankDetailsChange:
    org = _visible_org(user, org_id)
    change = (
        BankDetailsChange.objects.select_related("organization__district", "proposed_by")
        .filter(pk=change_id, organization=org)
        .first()
    )
    if change is None:
        raise NotFound(_("No such change."))
    return change


@router.post(
    "/organizations/{org_id}/bank-account/changes/{change_id}/confirm",
    response={200: BankChangeOut, **ERRORS},
    tags=["organisations"],
    summary="Confirm new bank details (another administrator; or the district reviewer "
    "where the organisation has one administrator)",
)
def bank_change_confirm(request: AuthenticatedRequest, org_id: int, change_id: int) -> Any:
    body = _optional_body(request)
    change = organizations.bank_details_decide(
        actor=request.user,
        change=_bank_change(request.user, org_id, change_id),
        confirm=True,
        comment=_text_field(body, "comment"),
    )
    return bank_change_dict(change)


@router.post(
    "/organizations/{org_id}/bank-account/changes/{change_id}/reject",
    response={200: BankChangeOut, **ERRORS},
    tags=["organisations"],
    summary="Reject new bank details (whoever may confirm them)",
)
def bank_change_reject(request: AuthenticatedRequest, org_id: int, change_id: int) -> Any:
    body = _optional_body(request)
    change = organizations.bank_details_decide(
        actor=request.user,
        change=_bank_change(request.user, org_id, change_id),
        confirm=False,
        comment=_text_field(body, "comment"),
    )
    return bank_change_dict(change)


@router.post(
    "/organizations/{org_id}/bank-account/changes/{change_id}/withdraw",
    response={200: BankChangeOut, **ERRORS},
    tags=["organisations"],
    summary="Withdraw a change waiting for confirmation (administrators)",
)
def bank_change_withdraw(request: AuthenticatedRequest, org_id: int, change_id: int) -> Any:
    change = organizations.bank_details_withdraw(
        actor=request.user, change=_bank_change(request.user, org_id, change_id)
    )
    return bank_change_dict(change)


@router.post(
    "/uscc-region-overrides",
    response={201: RegionOverrideOut, **ERRORS},
    tags=["organisations"],
    summary="Allow a USCC from outside the district's city, with a reason (administrators)",
    description=(
        "The next registration of this code in this district passes the region check; the "
        "exception and the registration that uses it are audited with the reason."
    ),
)
def region_override_create(
    request: AuthenticatedRequest, payload: RegionOverrideIn
) -> Reply[dict[str, Any]]:
    override = organizations.region_override_grant(
        actor=request.user, uscc=payload.uscc, district=payload.district, reason=payload.reason
    )
    return Reply(
        201,
        {
            "id": override.pk,
            "uscc": override.uscc,
            "district": override.district_id,
            "reason": override.reason,
            "created_at": local(override.created_at),
        },
    )
