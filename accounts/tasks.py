"""Daily housekeeping of accounts: ended API tokens, login records past their retention."""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from celery import shared_task
from django.conf import settings

from grants.services import tokens_purge


@shared_task(name="accounts.prune")
def prune() -> dict[str, int]:
    days = settings.FUNDFLOW_LOGIN_LOG_DAYS
    handler = AxesProxyHandler.get_implementation()
    return {
        "tokens": tokens_purge(),
        "login_records": handler.reset_logs(age_days=days),
        "failed_logins": handler.reset_failure_logs(age_days=days),
    }
