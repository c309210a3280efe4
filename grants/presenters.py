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
from grants.models import STEPS, Application, Organization, Program
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


class OrganizationDict(TypedDict):
    id: int
    name: str
    uscc: str
    kind: str
    district: str
    is_sme: bool


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


def organization_dict(org: Organization) -> OrganizationDict:
    return {
        "id": org.pk,
        "name": org.name,
        "uscc": org.uscc,
        "kind": org.kind,
        "district": org.district_id,
        "is_sme": org.is_sme,
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
