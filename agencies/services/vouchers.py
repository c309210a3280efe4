"""Service vouchers: issue (singly or from an Excel sheet), redemption at an admitted agency,
the agency's claim (a draft application of the voucher programme), what happens to the
voucher when its claim's review ends, expiry.

One function per action, keyword-only arguments; guard first, then change; every change
writes its audit row in the same transaction. Money moves only through
``finance.services.budget``: a voucher's face value is held from issue and released when
the voucher expires, is voided, or its claim is approved.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import (
    Agency,
    AgencyStatus,
    Redemption,
    Service,
    Voucher,
    VoucherStatus,
    VoucherTerms,
)
from agencies.selectors import agency_admitted_on
from agencies.services.registry import require_admin
from finance.services.budget import budget_hold, budget_hold_release
from grants.audit import audit_record
from grants.errors import Conflict, Forbidden, InvalidInput, NotFound
from grants.models import (
    Application,
    Membership,
    Organization,
    Program,
    ProgramKind,
    Role,
    Status,
)
from grants.services import application_create, clean_text, next_in_sequence
from grants.text import normalise_name

# ---------------------------------------------------------------- issuing vouchers


def _voucher_program(program_code: Any) -> Program:
    program = (
        Program.objects.filter(code=program_code, kind=ProgramKind.VOUCHER, is_active=True)
        .select_related("voucher_terms")
        .first()
        if isinstance(program_code, str)
        else None
    )
    if program is None or not hasattr(program, "voucher_terms") or not program.cap:
        raise InvalidInput(
            [
                {
                    "field": "program",
                    "message": _(
                        "No active voucher programme “%(p)s” with voucher terms and a face value."
                    )
                    % {"p": program_code},
                }
            ]
        )
    return program


def issue_checks(organization: Organization) -> list[dict[str, Any]]:
    """The issuing rules (SME flag, registered in Urumqi, an enterprise), judged by the rule engine."""
    from rules.engine import evaluate
    from rules.library import voucher_issue_rule_set

    path = organization.district.path.split("/")
    facts = {
        "organization": {
            "kind": organization.kind,
            "is_sme": organization.is_sme,
            "district": organization.district_id,
            "city": path[-2] if len(path) >= 2 else "",
        }
    }
    outcome = evaluate(voucher_issue_rule_set(), facts, trace=False)
    return [v.as_dict("issue") for v in outcome.verdicts]


@dataclass
class IssueProblem(Exception):
    errors: list[dict[str, str]] = field(default_factory=list)


def _issue_errors(program: Program, org: Organization) -> list[dict[str, str]]:
    english = _lang_is_en()
    errors = []
    for check in issue_checks(org):
        if check["passed"] is not True:
            errors.append(
                {
                    "field": check["rule"],
                    "message": check["reason_en"] if english else check["reason_zh"],
                }
            )
    if Voucher.objects.filter(program=program, sme=org).exists():
        errors.append(
            {
                "field": "organization",
                "message": _(
                    "%(name)s already has a voucher of this programme (one per SME a year)."
                )
                % {"name": org.name},
            }
        )
    return errors


def _lang_is_en() -> bool:
    from django.utils.translation import get_language

    return (get_language() or "").lower().startswith("en")


def _issue_one(*, actor, program: Program, org: Organization, today: dt.date) -> Voucher:
    """Inside the caller's transaction: quota, number, code, budget hold, audit."""
    terms: VoucherTerms = program.voucher_terms
    if Voucher.objects.filter(program=program).count() >= terms.annual_quota:
        raise IssueProblem(
            [
                {
                    "field": "program",
                    "message": _("The annual quota of %(n)d vouchers is used up.")
                    % {"n": terms.annual_quota},
                }
            ]
        )
    serial = next_in_sequence(f"voucher:{program.number_prefix}:{program.year}")
    closes = timezone.localtime(program.closes).date()
    voucher = Voucher.objects.create(
        number=f"{program.number_prefix}V-{program.year}-{serial:06d}",
        code=secrets.token_urlsafe(24),
        program=program,
        sme=org,
        face_value=program.cap,
        services=list(terms.eligible_services),
        valid_until=min(today + dt.timedelta(days=terms.validity_days), closes),
        issued_by=actor,
    )
    voucher.hold = budget_hold(
        actor=actor,
        program=program,
        amount=program.cap,
        reason=f"服务券 {voucher.number} 面额预留",
        obj=voucher,
    )
    voucher.save(update_fields=["hold"])
    audit_record(
        actor=actor,
        action="voucher.issue",
        obj=voucher,
        role=Role.ADMIN,
        to_status=VoucherStatus.ISSUED,
        data={
            "number": voucher.number,
            "sme": org.pk,
            "uscc": org.uscc,
            "face_value": f"{voucher.face_value:.2f}",
            "valid_until": voucher.valid_until.isoformat(),
        },
    )
    return voucher


def voucher_issue(*, actor, program_code: Any, organization_id: Any) -> Voucher:
    """Issue one voucher to one eligible SME."""
    require_admin(actor)
    program = _voucher_program(program_code)
    org = (
        Organization.objects.select_related("district").filter(pk=organization_id).first()
        if isinstance(organization_id, int) and not isinstance(organization_id, bool)
        else None
    )
    if org is None:
        raise InvalidInput([{"field": "organization", "message": _("No such organisation.")}])
    errors = _issue_errors(program, org)
    if errors:
        raise InvalidInput(errors, detail=_("This organisation cannot receive a voucher."))
    try:
        with transaction.atomic():
            return _issue_one(actor=actor, program=program, org=org, today=timezone.localdate())
    except IssueProblem as exc:
        raise Conflict(exc.errors[0]["message"], errors=exc.errors) from None
    except IntegrityError:
        raise Conflict(_("This SME already has a voucher of this programme.")) from None


# Columns of the bulk sheet (first row: headers, in Chinese or English; order free).
SHEET_COLUMNS = {
    "uscc": ("统一社会信用代码", "uscc"),
    "name": ("单位名称", "name"),
    "district": ("区划代码", "district"),
}
MAX_SHEET_ROWS = 5000


def _sheet_rows(upload) -> list[tuple[int, dict[str, str]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(upload, read_only=True, data_only=True)
    except Exception:
        raise InvalidInput(
            [{"field": "file", "message": _("Not an Excel workbook (.xlsx).")}]
        ) from None
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None) or ()
    names = {}
    for index, title in enumerate(header):
        title = str(title or "").strip().lower()
        for key, aliases in SHEET_COLUMNS.items():
            if title in {a.lower() for a in aliases}:
                names[index] = key
    missing = [SHEET_COLUMNS[k][0] for k in ("uscc", "name") if k not in names.values()]
    if missing:
        raise InvalidInput(
            [
                {
                    "field": "file",
                    "message": _("The first row must name the columns; missing: %(m)s")
                    % {"m": "、".join(missing)},
                }
            ]
        )
    out = []
    for number, values in enumerate(rows, start=2):
        if values is None or all(v in (None, "") for v in values):
            continue
        row = {
            key: str(values[i]).strip() if i < len(values) and values[i] is not None else ""
            for i, key in names.items()
        }
        out.append((number, row))
        if len(out) > MAX_SHEET_ROWS:
            raise InvalidInput(
                [
                    {
                        "field": "file",
                        "message": _("At most %(n)d rows per sheet.") % {"n": MAX_SHEET_ROWS},
                    }
                ]
            )
    workbook.close()
    return out


@dataclass
class BulkReport:
    issued: list[Voucher]
    rejected: list[dict[str, Any]]
    rows: int


def vouchers_issue_from_sheet(*, actor, program_code: Any, upload) -> BulkReport:
    """Issue vouchers to the SMEs listed in an Excel sheet; every row that cannot be issued is
    reported with why, and the others are issued (all in one transaction)."""
    require_admin(actor)
    program = _voucher_program(program_code)
    rows = _sheet_rows(upload)
    usccs = {row.get("uscc", "").upper() for _n, row in rows}
    orgs = {
        o.uscc: o for o in Organization.objects.select_related("district").filter(uscc__in=usccs)
    }
    from stdnum.cn import uscc as stdnum_uscc

    seen: dict[str, int] = {}
    issued: list[Voucher] = []
    rejected: list[dict[str, Any]] = []
    today = timezone.localdate()
    with transaction.atomic():
        for number, row in rows:
            uscc = row.get("uscc", "").upper()
            name = row.get("name", "")
            errors: list[dict[str, str]] = []
            if not stdnum_uscc.is_valid(uscc):
                errors.append(
                    {
                        "field": "uscc",
                        "message": _("“%(v)s” is not a valid unified social credit code.")
                        % {"v": uscc},
                    }
                )
            elif uscc in seen:
                errors.append(
                    {
                        "field": "uscc",
                        "message": _("The same code is on row %(n)d.") % {"n": seen[uscc]},
                    }
                )
            elif uscc not in orgs:
                errors.append(
                    {
                        "field": "uscc",
                        "message": _(
                            "No organisation with this code is registered; the SME registers first."
                        ),
                    }
                )
            else:
                org = orgs[uscc]
                if name and normalise_name(name) != normalise_name(org.name):
                    errors.append(
                        {
                            "field": "name",
                            "message": _("The registered name is “%(n)s”.") % {"n": org.name},
                        }
                    )
                district = row.get("district", "")
                if district and district != org.district_id:
                    errors.append(
                        {
                            "field": "district",
                            "message": _("The organisation is registered in %(d)s.")
                            % {"d": org.district_id},
                        }
                    )
                errors.extend(_issue_errors(program, org))
            if not errors:
                try:
                    with transaction.atomic():
                        issued.append(
                            _issue_one(actor=actor, program=program, org=orgs[uscc], today=today)
                        )
                    seen[uscc] = number
                except IssueProblem as exc:
                    errors = exc.errors
                except IntegrityError:
                    errors = [
                        {
                            "field": "uscc",
                            "message": _("This SME already has a voucher of this programme."),
                        }
                    ]
            if errors:
                rejected.append({"row": number, "uscc": uscc, "name": name, "errors": errors})
        audit_record(
            actor=actor,
            action="voucher.bulk_issue",
            obj=program,
            role=Role.ADMIN,
            data={
                "rows": len(rows),
                "issued": len(issued),
                "rejected": [{"row": r["row"], "uscc": r["uscc"]} for r in rejected],
            },
        )
    return BulkReport(issued=issued, rejected=rejected, rows=len(rows))


# ---------------------------------------------------------------- redemption and claims


def voucher_redeem(
    *,
    actor,
    voucher: Voucher,
    agency_id: Any,
    service: Any,
    contract_number: Any,
    contract_date: dt.date,
    contract_price: Decimal,
    code: str | None = None,
) -> Redemption:
    """The SME assigns its voucher to an admitted agency for a service under a contract. Once.

    Two ways in, one transition: a member of the SME assigns it (``POST /vouchers/{id}/redeem``),
    or, at the agency's desk, someone acting for that agency redeems it with the voucher's
    ``code``. The code is the secret only the SME and administrators are shown (it is what the
    QR code carries), so presenting it at the desk is the SME's assignment."""
    agency = (
        Agency.objects.select_related("organization").filter(pk=agency_id).first()
        if isinstance(agency_id, int) and not isinstance(agency_id, bool)
        else None
    )
    holder = Membership.objects.filter(user=actor, organization_id=voucher.sme_id).exists()
    at_desk = (
        not holder
        and isinstance(code, str)
        and secrets.compare_digest(code.encode(), voucher.code.encode())
        and agency is not None
        and Membership.objects.filter(user=actor, organization_id=agency.organization_id).exists()
    )
    if not (holder or at_desk):
        raise Forbidden(
            _(
                "Only the SME that holds the voucher assigns it, or the agency it assigns it to "
                "redeems it with the voucher's code."
            )
        )
    contract_number = clean_text(contract_number, "contract_number", max_length=100)
    today = timezone.localdate()
    errors = []
    if agency is None:
        errors.append({"field": "agency", "message": _("No such agency in the registry.")})
    if service not in Service.values:
        errors.append(
            {"field": "service", "message": _("One of: %(s)s") % {"s": ", ".join(Service.values)}}
        )
    elif service not in voucher.services:
        errors.append(
            {"field": "service", "message": _("The voucher does not cover this service.")}
        )
    elif agency is not None and service not in agency.services:
        errors.append(
            {"field": "service", "message": _("The agency is not admitted for this service.")}
        )
    if contract_date > today:
        errors.append({"field": "contract_date", "message": _("A date in the future.")})
    elif contract_date < timezone.localtime(voucher.issued_at).date():
        errors.append(
            {"field": "contract_date", "message": _("The contract predates the voucher.")}
        )
    if contract_price <= 0:
        errors.append({"field": "contract_price", "message": _("A positive amount.")})
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        locked = Voucher.objects.select_for_update().get(pk=voucher.pk)
        if locked.status != VoucherStatus.ISSUED:
            raise Conflict(
                _("Voucher %(n)s is %(s)s and cannot be redeemed.")
                % {"n": locked.number, "s": locked.get_status_display()}
            )
        if locked.valid_until < today:
            raise Conflict(
                _("Voucher %(n)s expired on %(d)s.")
                % {"n": locked.number, "d": locked.valid_until.isoformat()}
            )
        agency = (
            Agency.objects.select_for_update(of=("self",))
            .select_related("organization")
            .get(pk=agency.pk)
        )
        if agency.status != AgencyStatus.ADMITTED or not agency_admitted_on(agency, contract_date):
            raise Conflict(
                _(
                    "%(a)s is not admitted to the service cluster (now %(s)s); it cannot take vouchers."
                )
                % {"a": agency.organization.name, "s": agency.get_status_display()}
            )
        try:
            with transaction.atomic():
                redemption = Redemption.objects.create(
                    voucher=locked,
                    agency=agency,
                    service=service,
                    contract_number=contract_number,
                    contract_date=contract_date,
                    contract_price=contract_price,
                    redeemed_by=actor,
                )
        except IntegrityError:
            raise Conflict(
                _("Voucher %(n)s was already redeemed.") % {"n": locked.number}
            ) from None
        locked.status = VoucherStatus.REDEEMED
        locked.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="voucher.redeem",
            obj=locked,
            role=Role.APPLICANT,
            from_status=VoucherStatus.ISSUED,
            to_status=VoucherStatus.REDEEMED,
            data={
                "by": "agency" if at_desk else "sme",
                "agency": agency.pk,
                "service": service,
                "contract_number": contract_number,
                "contract_date": contract_date.isoformat(),
                "contract_price": f"{contract_price:.2f}",
            },
        )
    return redemption


def voucher_claim_create(*, actor, voucher: Voucher, amount: Decimal) -> Application:
    """The agency files its reimbursement claim: a draft application of the voucher programme,
    with the contract's facts filled in. Contract and proof of delivery are then attached and
    the claim submitted like any application (rules, review chain, commitment, letter)."""
    if amount <= 0:
        raise InvalidInput([{"field": "amount", "message": _("A positive amount.")}])
    redemption = (
        Redemption.objects.select_related("agency__organization").filter(voucher=voucher).first()
    )
    if redemption is None:
        raise Conflict(_("The voucher has not been redeemed at an agency."))
    if not Membership.objects.filter(
        user=actor, organization_id=redemption.agency.organization_id
    ).exists():
        raise Forbidden(_("Only the agency that took the voucher files its claim."))
    if redemption.claim_id is not None:
        raise Conflict(
            _("A claim for this voucher exists already (%(n)s).") % {"n": redemption.claim.number}
        )
    if voucher.status != VoucherStatus.REDEEMED:
        raise Conflict(
            _("Voucher %(n)s is %(s)s.") % {"n": voucher.number, "s": voucher.get_status_display()}
        )
    with transaction.atomic():
        locked = Redemption.objects.select_for_update().get(pk=redemption.pk)
        if locked.claim_id is not None:
            raise Conflict(_("A claim for this voucher exists already."))
        application = application_create(
            actor=actor,
            program_code=voucher.program.code,
            organization_id=redemption.agency.organization_id,
            fields={
                "service": redemption.service,
                "agency_uscc": redemption.agency.organization.uscc,
                "contract_number": redemption.contract_number,
                "contract_date": redemption.contract_date.isoformat(),
            },
            cost_lines=[
                {
                    "kind": "service_fee",
                    "amount": f"{amount:.2f}",
                    "reference": f"{voucher.number} {redemption.contract_number}"[:200],
                }
            ],
        )
        locked.claim = application
        locked.save(update_fields=["claim"])
        audit_record(
            actor=actor,
            action="voucher.claim",
            obj=voucher,
            application=application,
            role=Role.APPLICANT,
            data={"voucher": voucher.number, "amount": f"{amount:.2f}"},
        )
    return application


def voucher_claim_finishing(*, application: Application, outcome: str, actor) -> None:
    """The voucher kind's ``on_review_end`` hook (``agencies.kind``), called by
    ``workflows.lifecycle.finish`` in the decision's transaction, before
    the award is committed: on approval the voucher's hold goes back to the budget (the award is
    then committed in its place) and the voucher is used; on rejection it is void and its hold
    released. A return changes nothing. ``withdrawn`` (the claimant withdrew the claim, the
    kind's ``on_withdraw``) voids the voucher as a rejection does."""
    if outcome not in ("approved", "rejected", "withdrawn"):
        return
    redemption = Redemption.objects.filter(claim=application).first()
    if redemption is None:
        return
    voucher = Voucher.objects.select_for_update().get(pk=redemption.voucher_id)
    if outcome == "withdrawn" and voucher.status != VoucherStatus.REDEEMED:
        return  # expired meanwhile: its hold went back then
    if voucher.status != VoucherStatus.REDEEMED:
        raise Conflict(
            _("Voucher %(n)s is %(s)s; its claim cannot be decided.")
            % {"n": voucher.number, "s": voucher.get_status_display()}
        )
    if voucher.hold_id and voucher.hold_release_id is None:
        voucher.hold_release = budget_hold_release(
            actor=actor,
            hold=voucher.hold,
            reason=f"服务券 {voucher.number} 兑付申请 {application.number} "
            + {
                "approved": "核定，预留转为奖励承诺",
                "rejected": "不予支持，释放预留",
                "withdrawn": "已由申请单位撤回，释放预留",
            }[outcome],
            obj=voucher,
        )
    to_status = VoucherStatus.USED if outcome == "approved" else VoucherStatus.VOID
    from_status = voucher.status
    voucher.status = to_status
    voucher.closed_at = timezone.now()
    voucher.save(update_fields=["status", "closed_at", "hold_release"])
    audit_record(
        actor=actor,
        action=f"voucher.{to_status}",
        obj=voucher,
        application=application,
        role=Role.APPLICANT if outcome == "withdrawn" else Role.REVIEWER,
        from_status=from_status,
        to_status=to_status,
        data={"claim": application.number, "outcome": outcome},
    )


def vouchers_expire(*, today: dt.date | None = None, actor=None) -> int:
    """Expire vouchers past their last valid day that were never claimed, and release their hold.

    An issued voucher, or a redeemed one whose claim was never submitted, expires; a voucher
    whose claim is in review is left to the review (the claim's rules check the validity)."""
    today = today or timezone.localdate()
    due = Voucher.objects.filter(valid_until__lt=today).filter(
        Q(status=VoucherStatus.ISSUED)
        | Q(status=VoucherStatus.REDEEMED, redemption__claim__isnull=True)
        | Q(status=VoucherStatus.REDEEMED, redemption__claim__status=Status.DRAFT)
    )
    count = 0
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            voucher = Voucher.objects.select_for_update().get(pk=pk)
            if voucher.status not in (VoucherStatus.ISSUED, VoucherStatus.REDEEMED):
                continue
            if voucher.hold_id and voucher.hold_release_id is None:
                voucher.hold_release = budget_hold_release(
                    actor=actor,
                    hold=voucher.hold,
                    reason=f"服务券 {voucher.number} 于 {voucher.valid_until} 到期未使用，释放预留",
                    obj=voucher,
                )
            from_status = voucher.status
            voucher.status = VoucherStatus.EXPIRED
            voucher.closed_at = timezone.now()
            voucher.save(update_fields=["status", "closed_at", "hold_release"])
            audit_record(
                actor=actor,
                action="voucher.expire",
                obj=voucher,
                role="system" if actor is None else Role.ADMIN,
                from_status=from_status,
                to_status=VoucherStatus.EXPIRED,
                data={"valid_until": voucher.valid_until.isoformat()},
            )
            count += 1
    return count


def voucher_for_code(code: str) -> Voucher:
    voucher = Voucher.objects.select_related("program", "sme").filter(code=code).first()
    if voucher is None or not isinstance(code, str) or len(code) < 22:
        raise NotFound(_("No voucher with this code."))
    return voucher
