"""Reads of the agency registry and of vouchers: status on a date, claim facts, flags, indicators.

Who may see which voucher is decided here, in ``vouchers_visible_to``; who may see which
application (a voucher claim included) in ``grants.selectors``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db.models import Count, Q, QuerySet

from agencies.models import Agency, AgencyStatus, Redemption, Voucher
from grants.models import Membership
from grants.selectors import reviewer_jurisdictions, sees_everything


def agency_status_on(agency: Agency, on: dt.date) -> str:
    """The agency's status on ``on``: the latest status change effective on or before it ("" before admission)."""
    change = (
        agency.status_changes.filter(effective_on__lte=on).order_by("-effective_on", "-id").first()
    )
    return change.to_status if change else ""


def agency_admitted_on(agency: Agency, on: dt.date) -> bool:
    return agency_status_on(agency, on) == AgencyStatus.ADMITTED


def _norm(value: str) -> str:
    return re.sub(r"\s+", "", value or "").upper()


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value or "")


def shared_contacts(sme, agency_org) -> dict[str, bool]:
    """Does the SME share a legal representative, a phone number or an address with the agency?"""
    return {
        "shared_legal_representative": bool(_norm(sme.legal_representative))
        and _norm(sme.legal_representative) == _norm(agency_org.legal_representative),
        "shared_phone": bool(_digits(sme.phone))
        and _digits(sme.phone) == _digits(agency_org.phone),
        "shared_address": bool(_norm(sme.address))
        and _norm(sme.address) == _norm(agency_org.address),
    }


def district_share(redemption: Redemption) -> tuple[int, int]:
    """(redemptions of this programme by SMEs of the voucher's district, percent of them at this agency)."""
    voucher = redemption.voucher
    rows = Redemption.objects.filter(
        voucher__program_id=voucher.program_id, voucher__sme__district_id=voucher.sme.district_id
    ).aggregate(total=Count("id"), here=Count("id", filter=Q(agency_id=redemption.agency_id)))
    total = rows["total"] or 0
    return total, (rows["here"] * 100 // total) if total else 0


def claim_facts(application, on: dt.date) -> dict[str, Any] | None:
    redemption = (
        Redemption.objects.filter(claim=application)
        .select_related("voucher__sme__district", "agency__organization")
        .first()
    )
    if redemption is None:
        return None
    voucher = redemption.voucher
    agency = redemption.agency
    sme = voucher.sme
    total, share = district_share(redemption)
    path = sme.district.path.split("/")
    return {
        "agency": {
            "admitted": agency_admitted_on(agency, on),
            "admitted_on_contract_date": agency_admitted_on(agency, redemption.contract_date),
            "status": agency.status,
            "held": redemption.held,
        },
        "voucher": {
            "found": True,
            "number": voucher.number,
            "status": voucher.status,
            "sme_is_sme": sme.is_sme,
            "sme_city": path[-2] if len(path) >= 2 else "",
            "face_value_fen": int(voucher.face_value * 100),
            "valid_until": voucher.valid_until.isoformat(),
            "service": redemption.service,
            "service_eligible": redemption.service in voucher.services
            and redemption.service in agency.services,
            "contract_price_fen": int(redemption.contract_price * 100),
            "contract_date": redemption.contract_date.isoformat(),
        },
        "collusion": {
            **shared_contacts(sme, agency.organization),
            "district_redemptions": total,
            "agency_share_percent": share,
        },
    }


def claim_flags(application) -> list[dict[str, str]]:
    """What reviewers should look at on a voucher claim; never a rejection by itself."""
    from django.utils.translation import gettext as _

    redemption = (
        Redemption.objects.filter(claim=application)
        .select_related("voucher__sme", "agency__organization")
        .first()
    )
    if redemption is None:
        return []
    flags = []
    if redemption.held:
        flags.append({"code": "agency-exited", "message": redemption.held_reason})
    shared = shared_contacts(redemption.voucher.sme, redemption.agency.organization)
    labels = {
        "shared_legal_representative": _(
            "The SME and the agency have the same legal representative."
        ),
        "shared_phone": _("The SME and the agency have the same phone number."),
        "shared_address": _("The SME and the agency have the same address."),
    }
    for key, hit in shared.items():
        if hit:
            flags.append({"code": key.replace("_", "-"), "message": labels[key]})
    total, share = district_share(redemption)
    if total >= DISTRICT_SHARE_MIN and share > DISTRICT_SHARE_PERCENT:
        flags.append(
            {
                "code": "district-share",
                "message": _(
                    "This agency redeemed %(share)d%% of the %(total)d vouchers redeemed in the SME's district."
                )
                % {"share": share, "total": total},
            }
        )
    return flags


# The same thresholds as the seeded rule table ``agency_district_share`` (an administrator
# may change the table in a new rule set version; these only drive the flags list).
DISTRICT_SHARE_PERCENT = 50
DISTRICT_SHARE_MIN = 10


def agencies_acted_for(user):
    """The registry's agencies whose organisation ``user`` acts for (any status: an exited
    agency's people still see its redemptions and are told why it takes no new voucher)."""
    if not getattr(user, "is_authenticated", False):
        return Agency.objects.none()
    return (
        Agency.objects.filter(organization__memberships__user=user)
        .select_related("organization")
        .order_by("organization__name", "pk")
    )


def vouchers_visible_to(user: Any) -> QuerySet[Voucher]:
    """Administrators, finance and auditors: every voucher. An SME's members: its vouchers.
    An agency's members: vouchers redeemed at it. Reviewers: vouchers of SMEs in their jurisdiction."""
    qs = Voucher.objects.select_related("program", "sme", "sme__district")
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if sees_everything(user):
        return qs
    mine = Membership.objects.filter(user=user).values("organization_id")
    condition = Q(sme_id__in=mine) | Q(redemption__agency__organization_id__in=mine)
    for jurisdiction in reviewer_jurisdictions(user):
        condition |= Q(sme__district__path__startswith=jurisdiction.path)
    return qs.filter(condition)
