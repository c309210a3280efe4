"""Indicators of the plan's appendix that come from vouchers (see grants BRIEF, indicator 9)."""

from __future__ import annotations

from django.utils.formats import date_format

from agencies.models import Redemption, Service, VoucherStatus


def smes_in_custody(year: int) -> int:
    """Indicator 9, SMEs in IP custody: SMEs with a redeemed custody voucher in ``year``.

    Redeemed means assigned to an agency under a contract (``Redemption``) dated in the year,
    whatever became of the claim afterwards, except a voucher voided by a rejected claim.
    """
    return (
        Redemption.objects.filter(service=Service.CUSTODY, contract_date__year=year)
        .exclude(voucher__status=VoucherStatus.VOID)
        .values("voucher__sme_id")
        .distinct()
        .count()
    )


def supported_service_agencies(year: int) -> int:
    """Indicator 12, supported service agencies (plan task 17): agencies whose voucher
    reimbursement claims were approved (approved, awarded or paid) in ``year``."""
    from grants.models import Application, ProgramKind, Status

    return (
        Application.objects.filter(
            program__kind=ProgramKind.VOUCHER,
            status__in=[Status.APPROVED, Status.AWARDED, Status.PAID],
            submitted_at__year=year,
        )
        .values("organization_id")
        .distinct()
        .count()
    )


# --- record sets for the plan's indicator table (``indicators.registry``) ----------------

# 托管 is the plan's task-6 bundle (信息分析、专利申请、专利布局、专利导航、预警…), not one
# service: a redemption for any of these services counts the SME as in custody.
CUSTODY_BUNDLE = (Service.CUSTODY, Service.PATENT_FILING, Service.NAVIGATION, Service.EARLY_WARNING)


def custody_redemptions(first: int, last: int):
    return (
        Redemption.objects.filter(
            service__in=CUSTODY_BUNDLE,
            contract_date__year__gte=first,
            contract_date__year__lte=last,
        )
        .exclude(voucher__status=VoucherStatus.VOID)
        .select_related("voucher", "voucher__sme", "voucher__program", "agency__organization")
    )


def present_redemption(r: Redemption) -> dict:
    return {
        "record": r.voucher.number,
        "unit_key": r.voucher.sme_id,
        "organization": r.voucher.sme.name,
        "programme": f"{Service(r.service).label}（{r.agency.organization.name}）",
        "date": date_format(r.contract_date),
        "status": "",
        "url": "",
    }


def scope_redemptions(qs, user):
    from agencies.selectors import vouchers_visible_to

    return qs.filter(voucher__in=vouchers_visible_to(user).values("pk"))


def admitted_agencies(first: int, last: int):
    from agencies.models import Agency

    return Agency.objects.filter(
        admitted_on__year__gte=first, admitted_on__year__lte=last
    ).select_related("organization")


def present_agency(agency) -> dict:
    return {
        "record": agency.organization.name,
        "unit_key": agency.pk,
        "organization": agency.organization.name,
        "programme": "、".join(str(s) for s in agency.service_labels),
        "date": date_format(agency.admitted_on),
        "status": str(agency.get_status_display()),
        "url": "",
    }


def scope_agencies(qs, user):
    from grants.selectors import organizations_visible_to

    return qs.filter(organization__in=organizations_visible_to(user).values("pk"))
