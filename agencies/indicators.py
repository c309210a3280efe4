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
