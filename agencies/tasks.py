"""Periodic work of the agency registry and vouchers, scheduled by Celery beat (CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="agencies.check_qualifications", ignore_result=True)
def check_qualifications() -> dict[str, int]:
    """Warn 30 days before a qualification expires; suspend the agency on expiry (idempotent)."""
    from agencies.services.registry import qualifications_check

    return qualifications_check()


@shared_task(name="agencies.expire_vouchers", ignore_result=True)
def expire_vouchers() -> int:
    """Expire unused vouchers past their validity and release their budget hold (idempotent)."""
    from agencies.services.vouchers import vouchers_expire

    return vouchers_expire()
