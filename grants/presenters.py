"""What pages and the API show of the kernel's records: one dictionary per record.

The API returns these dictionaries (its schemas validate them); the pages render them.
Neither builds its own, so a page and the API never disagree about an application.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, TypedDict

from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from grants import kinds
from grants.labels import choice_label, code_label
from grants.models import (
    STEPS,
    Application,
    AuthorityLetter,
    BankDetailsChange,
    Invitation,
    JoinRequest,
    Jurisdiction,
    Level,
    Membership,
    Organization,
    OrganizationDispute,
    Program,
    Status,
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


# ================================================================ words: codes as people read them
#
# "Nothing but words reaches a person" (../shared/guides/DOCUMENTS.md): every page, e-mail and
# export turns a code into its label in the reader's language through these functions (and the
# template filters of ``grants.templatetags.words``, built into every template). Apps register
# the labels of their own codes (a voucher's services, a budget's sources) with
# ``grants.labels.register_labels`` in their ``AppConfig.ready()``.


def _is_en() -> bool:
    return (get_language() or "zh-hans").lower().startswith("en")


def money_text(value: Any, *, sign: bool = True) -> str:
    """Money as a person reads it: ``¥35,000.00`` (``35,000.00`` without the sign); ``—`` for none."""
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(str(value).replace(",", ""))  # "35,000.00" as printed elsewhere
    except ArithmeticError:
        return str(value)
    text = f"{amount:,.2f}"
    return f"¥{text}" if sign else text


def date_text(value: Any) -> str:
    """A date in the reader's form: ``2026年11月29日`` (English: ``29 Nov 2026``); a datetime in
    local time with its hour and minute."""
    if value in (None, ""):
        return ""
    clock = ""
    if isinstance(value, str):
        try:
            value = (
                dt.datetime.fromisoformat(value)
                if len(value) > 10
                else dt.date.fromisoformat(value)
            )
        except ValueError:
            return str(value)
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        clock = f" {value:%H:%M}"
        value = value.date()
    if not isinstance(value, dt.date):
        return str(value)
    if _is_en():
        return f"{value.day} {value:%b} {value.year}{clock}"
    return f"{value.year}年{value.month}月{value.day}日{clock}"


def status_label(code: Any) -> str:
    return str(Status(code).label) if code in Status.values else code_label("status", code)


def level_label(code: Any) -> str:
    return str(Level(code).label) if code in Level.values else str(code or "")


def office_name(place: Jurisdiction | None) -> str:
    """The office of a jurisdiction, as it signs its letters (天山区市场监督管理局 …)."""
    if place is None:
        return ""
    authority = getattr(place, "issuing_authority", None)
    try:
        name = authority.name if authority is not None else ""
    except Exception:  # no authority row: the related lookup raises
        name = ""
    if name:
        return str(name)
    if _is_en():
        return f"{place.display_name} Market Regulation Bureau"
    return f"{place.name}市场监督管理局"


def office_at(level: Any, district: Jurisdiction | None) -> str:
    """The office that acts at ``level`` for an applicant in ``district``: the district's
    bureau, the city's above it, the region's above that."""
    order = [Level.DISTRICT, Level.CITY, Level.REGION]
    if level not in order or district is None:
        return level_label(level)
    place: Jurisdiction = district
    steps = order.index(level) - order.index(Level(place.level)) if place.level in order else 0
    for _step in range(max(steps, 0)):
        if place.parent is None:
            break
        place = place.parent
    return office_name(place)


def field_labels(program: Program) -> dict[str, str]:
    return {f.name: f.display_label for f in program.fields.all()}


def cost_kind_labels(program: Program) -> dict[str, str]:
    return {k.code: k.display_label for k in program.cost_line_kinds.all()}


def attachment_kind_labels(program: Program) -> dict[str, str]:
    return {k.code: k.display_label for k in program.attachment_kinds.all()}


def rule_titles(program: Program) -> dict[str, str]:
    """Each rule's title in the reader's language, from the programme's rule set versions."""
    from rules.models import RuleSetVersion

    titles: dict[str, str] = {}
    en = _is_en()
    for content in (
        RuleSetVersion.objects.filter(program=program)
        .order_by("number")
        .values_list("content", flat=True)
    ):
        for table in (content or {}).get("tables", []):
            name = table.get("name")
            label = table.get("label_en") if en else table.get("label_zh")
            if name and (label or table.get("label_zh")):
                titles[name] = label or table.get("label_zh")
    return titles


SEVERITY_WORDS = {
    "block": gettext_lazy("must pass"),
    "warn": gettext_lazy("warning"),
    "manual": gettext_lazy("needs a person to look"),
}


# Audit actions as sentences (the applicant's timeline, the reviewer's history, exports).
AUDIT_SENTENCES = {
    "application.create": gettext_lazy("Draft created"),
    "application.update": gettext_lazy("Draft saved"),
    "attachment.add": gettext_lazy("Attachment uploaded"),
    "attachment.delete": gettext_lazy("Attachment removed"),
    "application.submit": gettext_lazy("Submitted for review"),
    "application.withdraw": gettext_lazy("Withdrawn by the applicant"),
    "review.task_created": gettext_lazy("Waiting for review"),
    "review.decision": gettext_lazy("Review decision"),
    "review.overdue": gettext_lazy("Review overdue; the level above was told"),
    "review.recheck": gettext_lazy("Rule checks run again by a reviewer"),
    "application.approved": gettext_lazy("Approved"),
    "application.returned": gettext_lazy("Returned for changes"),
    "application.rejected": gettext_lazy("Rejected"),
    "application.awarded": gettext_lazy("Award letter issued"),
    "budget.commit": gettext_lazy("Budget committed for the award"),
    "budget.queue": gettext_lazy("Waiting for budget (merit queue)"),
    "budget.allocate": gettext_lazy("Budget allocated"),
    "budget.release": gettext_lazy("Budget released"),
    "disbursement.create": gettext_lazy("Payment batch created"),
    "disbursement.add": gettext_lazy("Added to a payment batch"),
    "disbursement.paid": gettext_lazy("Payment recorded"),
    "disbursement.cancel": gettext_lazy("Payment batch cancelled"),
    "application.paid": gettext_lazy("Paid"),
    "letter.number": gettext_lazy("Letter number reserved"),
    "letter.issue": gettext_lazy("Letter issued"),
    "letter.revoke": gettext_lazy("Letter revoked"),
    "tranche.plan": gettext_lazy("Award split into tranches"),
    "tranche.paid": gettext_lazy("Tranche paid"),
    "voucher.claim": gettext_lazy("Reimbursement claim filed for a service voucher"),
    "voucher.used": gettext_lazy("Service voucher used"),
    "voucher.void": gettext_lazy("Service voucher void"),
    "voucher.issue": gettext_lazy("Service voucher issued"),
    "voucher.redeem": gettext_lazy("Service voucher redeemed at an agency"),
    "voucher.expire": gettext_lazy("Service voucher expired"),
    "navigation.create": gettext_lazy("Joint application created"),
    "navigation.partner_confirm": gettext_lazy("A partner agency confirmed its participation"),
    "navigation.eligible": gettext_lazy("Eligible: on to expert review"),
    "navigation.scored": gettext_lazy("Expert scoring finished"),
    "navigation.selected": gettext_lazy("Selected by the city: in public notice"),
    "navigation.objection_file": gettext_lazy("Objection filed on the public notice"),
    "navigation.objection_resolve": gettext_lazy("Objection resolved"),
    "navigation.contract": gettext_lazy("Contract with milestones"),
    "navigation.letter_due": gettext_lazy("Letter due"),
    "navigation.milestone_submit": gettext_lazy("Milestone report submitted"),
    "navigation.milestone_decision": gettext_lazy("Milestone report decided"),
    "navigation.milestone_overdue": gettext_lazy("Milestone overdue"),
    "navigation.accepted": gettext_lazy("Project accepted"),
    "navigation.experts_draw": gettext_lazy("Experts drawn"),
    "navigation.expert_declare": gettext_lazy("An expert declared on conflicts of interest"),
    "navigation.expert_score": gettext_lazy("An expert scored the project"),
    "organization.register": gettext_lazy("Organisation registered"),
    "user.register": gettext_lazy("Account registered"),
}


def audit_sentence(action: Any) -> str:
    """An audit action as a short sentence; an action nobody labelled yet reads as a
    generic "Recorded change" rather than its code."""
    label = AUDIT_SENTENCES.get(str(action))
    return str(label) if label is not None else _("Recorded change")


DECISION_LABELS = {
    "approve": gettext_lazy("approved"),
    "return": gettext_lazy("returned for changes"),
    "reject": gettext_lazy("rejected"),
}


def checks_view(program: Program, checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rule checks as staff read them: the rule's title (never its id), what its severity
    means, the reason."""
    titles = rule_titles(program)
    return [
        c
        | {
            "title": titles.get(c.get("rule", ""), _("Rule check")),
            "severity_label": str(SEVERITY_WORDS.get(c.get("severity", ""), "")),
        }
        for c in checks
    ]


def actor_words(entry: Any, district: Jurisdiction | None) -> str:
    """Who acted, as a person reads it: a reviewer's office (with the reviewer's name when
    known), the applicant organisation, or the role; never a user name."""
    from grants.models import Role

    user = getattr(entry, "actor", None)
    person = getattr(user, "display_name", "") if user is not None else ""
    role = getattr(entry, "role", "")
    if role == Role.REVIEWER and entry.level:
        office = office_at(entry.level, district)
        return f"{office}（{person}）" if person else office
    if role == Role.APPLICANT and entry.application_id:
        return str(entry.application.organization.name)
    label = str(Role(role).label) if role in Role.values else ""
    if not label and role == "system":
        label = str(_("The system"))
    return f"{label}（{person}）" if label and person else (label or person or "—")


def history_view(app: Application) -> list[dict[str, Any]]:
    """The audit history of an application in words, for reviewers, finance and auditors."""
    district = app.organization.district
    rows = []
    for e in app.audit_entries.select_related("actor", "application__organization").order_by("id"):
        data = e.data or {}
        decision = data.get("decision") if isinstance(data, dict) else None
        rows.append(
            {
                "at": e.at,
                "who": actor_words(e, district),
                "what": audit_sentence(e.action),
                "decision": str(DECISION_LABELS.get(decision, "")) if decision else "",
                "office": office_at(e.level, district) if e.level else "",
                "to": status_label(e.to_status)
                if e.to_status and e.to_status != e.from_status
                else "",
                "comment": e.comment,
            }
        )
    return rows


def application_view(app: Application) -> dict[str, Any]:
    """What the staff pages show of an application, every code turned into its label:
    ``data`` (the API's dictionary) plus fields, cost lines, attachments, checks, history."""
    data = application_dict(app)
    program = app.program
    specs = list(program.fields.all())
    names = {f.name: f for f in specs}
    values = data["fields"] or {}
    ordered = [f.name for f in specs if f.name in values] + sorted(
        n for n in values if n not in names
    )
    fields = []
    for name in ordered:
        spec = names.get(name)
        value = values[name]
        if spec is not None and spec.type == "date":
            shown = date_text(value)
        elif spec is not None and spec.type == "decimal":
            shown = money_text(value)
        elif spec is not None and spec.type == "boolean":
            shown = str(_("Yes") if value else _("No"))
        else:
            shown = choice_label(value)
        fields.append(
            {"name": name, "label": spec.display_label if spec else _("Other"), "value": shown}
        )
    costs = cost_kind_labels(program)
    kinds_ = attachment_kind_labels(program)
    return {
        "data": data,
        "fields": fields,
        "cost_lines": [c | {"label": costs.get(c["kind"], _("Other"))} for c in data["cost_lines"]],
        "attachments": [
            a | {"label": kinds_.get(a["kind"], _("Other documents"))} for a in data["attachments"]
        ],
        "checks": checks_view(program, data["checks"]),
        "history": history_view(app),
        "status_label": status_label(app.status),
        "office": office_at(app.level, app.organization.district) if app.level else "",
    }


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
