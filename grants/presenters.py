"""What pages and the API show of the kernel's records: one dictionary per record.

The API returns these dictionaries (its schemas validate them); the pages render them.
Neither builds its own, so a page and the API never disagree about an application.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, TypedDict

from django.utils import timezone

from grants import kinds
from grants.models import (
    STEPS,
    Application,
    AuthorityLetter,
    BankDetailsChange,
    Invitation,
    JoinRequest,
    Membership,
    Organization,
    OrganizationDispute,
    Program,
)
from rules.services import check_for_api, rule_set_in_force

# The shapes below are what the API's schemas (grants.api) validate: keep them in step.


class BudgetFigures(TypedDict):
    allocated: str | None
    committed: str | None
    paid: str | None
    available: str | None


class ProgramDict(TypedDict):
    code: str
    name: str
    kind: str
    year: int
    levels: list[str]
    cap: str | None
    budget: BudgetFigures
    opens: dt.datetime | None
    closes: dt.datetime | None
    is_open: bool


class ProgramFieldDict(TypedDict):
    name: str
    type: str
    required: bool
    label: str
    choices: Any  # the programme's JSON list of choices, as configured
    help: str


class CostLineKindDict(TypedDict):
    code: str
    label: str
    counts_toward_award: bool


class AttachmentKindDict(TypedDict):
    code: str
    label: str
    required: bool


class RuleSetDict(TypedDict):
    version: str | None
    sha256: str | None


class ProgramDetailDict(ProgramDict):
    description: str
    allowed_org_kinds: list[str]
    fields: list[ProgramFieldDict]
    cost_line_kinds: list[CostLineKindDict]
    attachment_kinds: list[AttachmentKindDict]
    rule_set: RuleSetDict
    steps: list[str]
    ranking: dict[str, Any]
    indicators: list[dict[str, Any]]


class BankAccountDict(TypedDict):
    account_name: str
    bank_name: str
    account_number: str
    cnaps_code: str
    confirmed: bool
    confirmed_at: dt.datetime | None


class BankChangeDict(TypedDict):
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


class OrganizationDict(TypedDict):
    id: int
    name: str
    uscc: str
    kind: str
    district: str
    is_sme: bool
    legal_representative: str
    phone: str
    address: str
    bank_account: BankAccountDict | None
    cnaps_code: str | None
    bank_account_pending: BankChangeDict | None
    disputed: bool


class ApplicationListItem(TypedDict):
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
    updated_at: dt.datetime | None


class CostLineDict(TypedDict):
    kind: str
    amount: str | None
    reference: str


class AttachmentDict(TypedDict):
    id: int
    kind: str
    name: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: dt.datetime | None


# "from" is a keyword: the functional form.
HistoryEntry = TypedDict(
    "HistoryEntry",
    {
        "at": dt.datetime | None,
        "actor": str,
        "role": str,
        "level": str,
        "action": str,
        "from": str,
        "to": str,
        "comment": str,
    },
)


class ApplicationDict(ApplicationListItem):
    program_name: str
    chain: list[str]
    round: int
    fields: dict[str, Any]  # the application's JSON fields, cleaned per the programme's form
    cost_lines: list[CostLineDict]
    attachments: list[AttachmentDict]
    checks: list[dict[str, Any]]
    rule_set_version: str | None
    flags: list[dict[str, str]]
    history: list[HistoryEntry]
    created_at: dt.datetime | None


def money(value: Decimal | None) -> str | None:
    """Money as the contract writes it: a decimal string with two places, or None."""
    return None if value is None else f"{value:.2f}"


def local(value: dt.datetime | None) -> dt.datetime | None:
    """A time in the configured zone (Asia/Urumqi), or None."""
    return None if value is None else timezone.localtime(value)


def program_dict(program: Program) -> ProgramDict:
    budget = next((b for b in program.budgets.all() if b.year == program.year), None)
    zero = Decimal("0.00")
    return {
        "code": program.code,
        "name": program.display_name,
        "kind": program.kind,
        "year": program.year,
        "levels": list(program.levels),
        "cap": money(program.cap),
        "budget": {
            "allocated": money(budget.allocated if budget else zero),
            "committed": money(budget.committed if budget else zero),
            "paid": money(budget.paid if budget else zero),
            "available": money(budget.available if budget else zero),
        },
        "opens": local(program.opens),
        "closes": local(program.closes),
        "is_open": program.is_open(),
    }


def program_detail_dict(program: Program) -> ProgramDetailDict:
    return {
        **program_dict(program),
        "description": program.description,
        "allowed_org_kinds": list(program.allowed_org_kinds),
        "fields": [
            {
                "name": f.name,
                "type": f.type,
                "required": f.required,
                "label": f.display_label,
                "choices": f.choices,
                "help": f.display_help,
            }
            for f in program.fields.all()
        ],
        "cost_line_kinds": [
            {"code": k.code, "label": k.display_label, "counts_toward_award": k.counts_toward_award}
            for k in program.cost_line_kinds.all()
        ],
        "attachment_kinds": [
            {"code": k.code, "label": k.display_label, "required": k.required}
            for k in program.attachment_kinds.all()
        ],
        "rule_set": _rule_set_dict(program),
        "steps": [name for name in STEPS if program.step_settings(name) is not None],
        "ranking": dict(program.ranking or {}),
        "indicators": list(program.indicators or []),
    }


def _rule_set_dict(program: Program) -> RuleSetDict:
    version = rule_set_in_force(program)
    return {
        "version": version.label if version else None,
        "sha256": version.sha256 if version else None,
    }


def bank_account_dict(org: Organization) -> BankAccountDict | None:
    """The organisation's bank details (those payments use), or None when it has none."""
    if not org.bank_account_number:
        return None
    return {
        "account_name": org.bank_account_name,
        "bank_name": org.bank_name,
        "account_number": org.bank_account_number,
        "cnaps_code": org.cnaps_code,
        "confirmed": org.has_confirmed_bank_details,
        "confirmed_at": local(org.bank_confirmed_at),
    }


def bank_change_dict(change: BankDetailsChange) -> BankChangeDict:
    return {
        "id": change.pk,
        "account_name": change.account_name,
        "bank_name": change.bank_name,
        "account_number": change.account_number,
        "cnaps_code": change.cnaps_code,
        "status": change.status,
        "proposed_by": str(change.proposed_by),
        "proposed_at": local(change.proposed_at),
        "decided_by": str(change.decided_by) if change.decided_by else None,
        "decided_at": local(change.decided_at),
        "comment": change.comment,
    }


def organization_dict(org: Organization) -> OrganizationDict:
    """An organisation as the API shows it; ``pending_bank_changes`` and ``is_disputed``
    are read from the list's prefetch and annotation when there (else one query each)."""
    pending: list[BankDetailsChange] | None = getattr(org, "pending_bank_changes", None)
    if pending is None:
        pending = list(
            BankDetailsChange.objects.filter(
                organization=org, status=BankDetailsChange.Status.PENDING
            ).select_related("proposed_by", "decided_by")
        )
    disputed: bool | None = getattr(org, "is_disputed", None)
    if disputed is None:
        disputed = org.disputes.filter(status=OrganizationDispute.Status.OPEN).exists()
    return {
        "id": org.pk,
        "name": org.name,
        "uscc": org.uscc,
        "kind": org.kind,
        "district": org.district_id,
        "is_sme": org.is_sme,
        "legal_representative": org.legal_representative,
        "phone": org.phone,
        "address": org.address,
        "bank_account": bank_account_dict(org),
        "cnaps_code": org.cnaps_code or None,
        "bank_account_pending": bank_change_dict(pending[0]) if pending else None,
        "disputed": bool(disputed),
    }


def application_list_item(app: Application) -> ApplicationListItem:
    return {
        "id": app.pk,
        "number": app.number,
        "program": app.program.code,
        "organization": app.organization_id,
        "organization_name": app.organization.name,
        "district": app.organization.district_id,
        "status": app.status,
        "level": app.level or None,
        "award_amount": money(app.award_amount),
        "submitted_at": local(app.submitted_at),
        "updated_at": local(app.updated_at),
    }


def application_dict(app: Application) -> ApplicationDict:
    latest = app.evaluations.order_by("-created_at", "-id").first()
    history: list[HistoryEntry] = [
        {
            "at": local(e.at),
            "actor": e.actor_name,
            "role": e.role,
            "level": e.level,
            "action": e.action,
            "from": e.from_status,
            "to": e.to_status,
            "comment": e.comment,
        }
        for e in app.audit_entries.order_by("id")
    ]
    return {
        **application_list_item(app),
        "program_name": app.program.display_name,
        "chain": list(app.chain or app.program.levels),
        "round": app.round,
        "fields": app.fields,
        "cost_lines": [
            {"kind": c.kind, "amount": money(c.amount), "reference": c.reference}
            for c in app.cost_lines.all()
        ],
        "attachments": [
            {
                "id": a.pk,
                "kind": a.kind,
                "name": a.original_name,
                "content_type": a.content_type,
                "size": a.size,
                "sha256": a.sha256,
                "uploaded_at": local(a.uploaded_at),
            }
            for a in app.attachments.all()
        ],
        "checks": [check_for_api(c) for c in latest.checks] if latest else [],
        "rule_set_version": latest.rule_set_version if latest else None,
        "flags": _flags(app),
        "history": history,
        "created_at": local(app.created_at),
    }


def _flags(app: Application) -> list[dict[str, str]]:
    """Signs for reviewers that are not rule verdicts (voucher claims: collusion, agency exited)."""
    return kinds.hooks_for(app.program).review_flags(app)


# ---------------------------------------------------------------- an organisation's people and proofs


def member_dict(membership: Membership) -> dict[str, Any]:
    user = membership.user
    return {
        "user_id": user.pk,
        "username": user.username,
        "display_name": str(user),
        "email": user.email,
        "role": membership.role,
        "role_label": str(membership.get_role_display()),
        "since": local(membership.created_at),
    }


def join_request_dict(request: JoinRequest, *, for_admins: bool = False) -> dict[str, Any]:
    """A join request or claim. The organisation's administrators (and reviewers) also see who
    asks; the requester sees their own request, and of the organisation only its number."""
    out: dict[str, Any] = {
        "id": request.pk,
        "organization": request.organization_id,
        "kind": request.kind,
        "status": request.status,
        "status_label": str(request.get_status_display()),
        "message": request.message,
        "created_at": local(request.created_at),
        "decided_at": local(request.decided_at),
        "reason": request.reason,
        "requester": None,
    }
    if for_admins:
        user = request.user
        out["requester"] = {
            "user_id": user.pk,
            "username": user.username,
            "display_name": str(user),
            "email": user.email,
        }
    return out


def invitation_dict(invitation: Invitation) -> dict[str, Any]:
    return {
        "id": invitation.pk,
        "organization": invitation.organization_id,
        "email": invitation.email,
        "role": invitation.role,
        "status": invitation.status,
        "status_label": str(invitation.get_status_display()),
        "invited_by": str(invitation.invited_by),
        "created_at": local(invitation.created_at),
        "expires_at": local(invitation.expires_at),
        "accepted_at": local(invitation.accepted_at),
    }


def letter_dict(letter: AuthorityLetter) -> dict[str, Any]:
    return {
        "id": letter.pk,
        "organization": letter.organization_id,
        "claim": letter.join_request_id,
        "name": letter.original_name,
        "size": letter.size,
        "sha256": letter.sha256,
        "uploaded_by": str(letter.uploaded_by),
        "uploaded_at": local(letter.uploaded_at),
        "status": letter.status,
        "status_label": str(letter.get_status_display()),
        "checked_at": local(letter.checked_at),
        "comment": letter.comment,
    }


def dispute_dict(dispute: OrganizationDispute) -> dict[str, Any]:
    return {
        "id": dispute.pk,
        "organization": dispute.organization_id,
        "claim": dispute.claim_id,
        "reason": dispute.reason,
        "status": dispute.status,
        "status_label": str(dispute.get_status_display()),
        "opened_at": local(dispute.opened_at),
        "resolved_at": local(dispute.resolved_at),
        "resolution": dispute.resolution,
    }
