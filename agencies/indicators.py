"""Indicators of the plan's appendix that come from vouchers (see grants BRIEF, indicator 9)."""

from __future__ import annotations

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
