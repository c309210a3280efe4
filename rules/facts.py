"""The facts a rule set judges: one documented, schema-checked dictionary per evaluation.

Money is integer fen (the engine's binding refuses ``Decimal``; integers keep
it exact), dates are ``YYYY-MM-DD`` in Asia/Urumqi. Every path a rule may
name is in ``facts_schema(program)``; a rule naming anything else is refused
when it is saved.

    application   number, round
    program       code, kind, year, cap_fen (null: no cap), allowed_org_kinds, opens, closes
    organization  kind, is_sme, district, city (parent code), region, uscc
    submitted_on  the date judged (submission date, or today for a preview)
    fields        the programme's form fields (text, dates as YYYY-MM-DD, decimals as fen)
    cost          counted_fen (kinds that count toward the award), excluded_fen, total_fen,
                  by_kind {kind: fen}, lines (count)
    attachments   kinds present
    required      missing_fields, missing_attachments (codes), missing_label_zh/en (their names)
    history       same_certificate {count, numbers}: other live claims of this certificate;
                  vouchers_this_year: other live applications of this organisation to this
                  voucher programme this year
    agency        for a voucher claim: admitted (on the claim date), admitted_on_contract_date,
                  status (now), held (the agency exited while the claim was open); null/""
                  when the application is not a voucher claim
    voucher       for a voucher claim: found, number, status, sme_is_sme, sme_city,
                  face_value_fen, valid_until, service, service_eligible, contract_price_fen,
                  contract_date
    collusion     for a voucher claim: shared_legal_representative, shared_phone,
                  shared_address (SME and agency), district_redemptions (this programme's
                  redemptions by SMEs of the voucher's district), agency_share_percent (the
                  share of them at this agency)
    certification_body  the form's ``certification_body`` against the administrator's
                  registry (``rules.models.CertificationBody``, names compared after
                  ``grants.text.normalise_name``): accredited (null when none typed; judged on
                  the certificate's ``certified_on``, else the date judged), registered_name
    budget        available_fen (this programme and year)
    award_fen     set by the award table, read by the tables after it
"""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from typing import Any, overload

from django.utils import timezone

from grants import kinds
from grants.models import Application, FieldType, Program, Status, normalise_certificate
from rules.models import certification_body_match

LIVE = [Status.IN_REVIEW, Status.RETURNED, Status.APPROVED, Status.AWARDED, Status.PAID]

STR = {"type": "string"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}


def nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def obj(properties: dict, required: bool = True) -> dict:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required else [],
        "additionalProperties": False,
    }


FIELD_SCHEMAS: dict[str, dict] = {
    FieldType.TEXT: STR,
    FieldType.DATE: DATE,
    FieldType.CHOICE: STR,
    FieldType.DECIMAL: INT,  # fen
    FieldType.INTEGER: INT,
    FieldType.BOOLEAN: BOOL,
}


def _field_schema(field_type: str) -> dict:
    return nullable(FIELD_SCHEMAS[field_type])


def facts_schema(
    program: Program | None = None,
    *,
    fields: list[tuple[str, str]] | None = None,
    cost_kinds: list[str] | None = None,
) -> dict:
    """JSON Schema of the facts for ``program``; rules' field paths are checked against it.

    ``fields`` (name, type) and ``cost_kinds`` (codes) stand for the programme's own when it
    is not stored yet (a programme definition being checked)."""
    if fields is None:
        fields = [(f.name, f.type) for f in program.fields.all()] if program else []
    if cost_kinds is None:
        cost_kinds = [k.code for k in program.cost_line_kinds.all()] if program else []
    kinds = cost_kinds
    return obj(
        {
            "application": obj({"number": STR, "round": INT}),
            "program": obj(
                {
                    "code": STR,
                    "kind": STR,
                    "year": INT,
                    "cap_fen": nullable(INT),
                    "allowed_org_kinds": {"type": "array", "items": STR},
                    "opens": DATE,
                    "closes": DATE,
                }
            ),
            "organization": obj(
                {
                    "kind": STR,
                    "is_sme": BOOL,
                    "district": STR,
                    "city": STR,
                    "region": STR,
                    "uscc": STR,
                }
            ),
            "submitted_on": DATE,
            "fields": obj({name: _field_schema(kind) for name, kind in fields}),
            "cost": obj(
                {
                    "counted_fen": INT,
                    "excluded_fen": INT,
                    "total_fen": INT,
                    "lines": INT,
                    "by_kind": obj({k: INT for k in kinds}),
                }
            ),
            "attachments": obj({"kinds": {"type": "array", "items": STR}}),
            "required": obj(
                {
                    "missing_fields": {"type": "array", "items": STR},
                    "missing_attachments": {"type": "array", "items": STR},
                    "missing_label_zh": STR,
                    "missing_label_en": STR,
                }
            ),
            "history": obj(
                {
                    "same_certificate": obj({"count": INT, "numbers": STR}),
                    "vouchers_this_year": INT,
                }
            ),
            "agency": obj(
                {
                    "admitted": nullable(BOOL),
                    "admitted_on_contract_date": nullable(BOOL),
                    "status": STR,
                    "held": BOOL,
                }
            ),
            "voucher": obj(
                {
                    "found": BOOL,
                    "number": STR,
                    "status": STR,
                    "sme_is_sme": nullable(BOOL),
                    "sme_city": STR,
                    "face_value_fen": nullable(INT),
                    "valid_until": nullable(DATE),
                    "service": STR,
                    "service_eligible": nullable(BOOL),
                    "contract_price_fen": nullable(INT),
                    "contract_date": nullable(DATE),
                }
            ),
            "collusion": obj(
                {
                    "shared_legal_representative": BOOL,
                    "shared_phone": BOOL,
                    "shared_address": BOOL,
                    "district_redemptions": INT,
                    "agency_share_percent": INT,
                }
            ),
            "certification_body": obj({"accredited": nullable(BOOL), "registered_name": STR}),
            "budget": obj({"available_fen": INT}),
        }
    )


# Values produced by tables (outputs) that later tables may read.
OUTPUT_PATHS = {"award_fen": nullable(INT)}


@overload
def fen(amount: Decimal) -> int: ...
@overload
def fen(amount: Decimal | None) -> int | None: ...
def fen(amount: Decimal | None) -> int | None:
    return None if amount is None else int((amount * 100).to_integral_value())


def facts_for(application: Application, *, on: dt.date | None = None) -> dict[str, Any]:
    program = application.program
    org = application.organization
    district = org.district
    path = district.path.split("/")
    lines = list(application.cost_lines.all())
    kinds = {k.code: k for k in program.cost_line_kinds.all()}
    by_kind = {code: 0 for code in kinds}
    counted = excluded = 0
    for line in lines:
        amount = fen(line.amount)
        by_kind[line.kind] = by_kind.get(line.kind, 0) + amount
        if kinds.get(line.kind) and kinds[line.kind].counts_toward_award:
            counted += amount
        else:
            excluded += amount
    fields: dict[str, Any] = {}
    for spec in program.fields.all():
        value = application.fields.get(spec.name)
        if spec.type == FieldType.DECIMAL and value is not None:
            value = fen(Decimal(value))
        fields[spec.name] = value
    present = sorted({a.kind for a in application.attachments.all()})
    missing_fields = [
        f.name
        for f in program.fields.all()
        if f.required and application.fields.get(f.name) in (None, "")
    ]
    missing_attachments = [
        a.code for a in program.attachment_kinds.all() if a.required and a.code not in present
    ]
    labels_zh = {f.name: f.label for f in program.fields.all()}
    labels_en = {f.name: f.label_en or f.name for f in program.fields.all()}
    labels_zh.update({a.code: a.label for a in program.attachment_kinds.all()})
    labels_en.update({a.code: a.label_en or a.code for a in program.attachment_kinds.all()})

    others = Application.objects.filter(status__in=LIVE).exclude(pk=application.pk)
    certificate = normalise_certificate(application.fields.get("certificate_number"))
    same = []
    if certificate:
        same = list(
            others.filter(
                program__kind=program.kind,
                claimed_certificate__certificate=certificate,
                claimed_certificate__active=True,
            )
            .order_by("number")
            .values_list("number", flat=True)
        )
    vouchers = others.filter(
        organization=application.organization, program=program, program__year=program.year
    ).count()
    budget = program.budgets.filter(year=program.year).first()
    local_opens = timezone.localtime(program.opens).date()
    local_closes = timezone.localtime(program.closes).date()
    judged_on = on or (
        timezone.localtime(application.submitted_at).date()
        if application.submitted_at
        else timezone.localdate()
    )
    return {
        "application": {"number": application.number, "round": application.round},
        "program": {
            "code": program.code,
            "kind": program.kind,
            "year": program.year,
            "cap_fen": fen(program.cap),
            "allowed_org_kinds": list(program.allowed_org_kinds),
            "opens": local_opens.isoformat(),
            "closes": local_closes.isoformat(),
        },
        "organization": {
            "kind": org.kind,
            "is_sme": org.is_sme,
            "district": district.code,
            "city": path[-2] if len(path) >= 2 else "",
            "region": path[0],
            "uscc": org.uscc,
        },
        "submitted_on": judged_on.isoformat(),
        "fields": fields,
        "cost": {
            "counted_fen": counted,
            "excluded_fen": excluded,
            "total_fen": counted + excluded,
            "lines": len(lines),
            "by_kind": by_kind,
        },
        "attachments": {"kinds": present},
        "required": {
            "missing_fields": missing_fields,
            "missing_attachments": missing_attachments,
            "missing_label_zh": "、".join(
                labels_zh[n] for n in missing_fields + missing_attachments
            ),
            "missing_label_en": ", ".join(
                labels_en[n] for n in missing_fields + missing_attachments
            ),
        },
        "history": {
            "same_certificate": {"count": len(same), "numbers": ", ".join(same)},
            "vouchers_this_year": vouchers,
        },
        **voucher_facts(application, judged_on),
        "certification_body": body_facts(application.fields, judged_on),
        "budget": {"available_fen": fen(budget.available) if budget else 0},
    }


def body_facts(fields: dict[str, Any], judged_on: dt.date) -> dict[str, Any]:
    """The typed certification body against the registry, on the certificate's date."""
    try:
        on = dt.date.fromisoformat(str(fields.get("certified_on")))
    except ValueError:
        on = judged_on
    accredited, name = certification_body_match(fields.get("certification_body"), on)
    return {"accredited": accredited, "registered_name": name}


NO_VOUCHER: dict[str, Any] = {
    "agency": {"admitted": None, "admitted_on_contract_date": None, "status": "", "held": False},
    "voucher": {
        "found": False,
        "number": "",
        "status": "",
        "sme_is_sme": None,
        "sme_city": "",
        "face_value_fen": None,
        "valid_until": None,
        "service": "",
        "service_eligible": None,
        "contract_price_fen": None,
        "contract_date": None,
    },
    "collusion": {
        "shared_legal_representative": False,
        "shared_phone": False,
        "shared_address": False,
        "district_redemptions": 0,
        "agency_share_percent": 0,
    },
}


def voucher_facts(application: Application, on: dt.date) -> dict[str, Any]:
    """The agency, voucher and collusion facts of a voucher claim, from its kind's
    ``rule_facts`` hook (``agencies.kind``); the documented defaults for any other claim."""
    return kinds.hooks_for(application.program).rule_facts(application, on) or copy.deepcopy(
        NO_VOUCHER
    )
