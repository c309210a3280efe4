"""Login records are kept LOGIN_LOG_DAYS (190 by default, at least the six months of the
Cybersecurity Law), then the daily ``accounts.prune`` deletes them; audit entries stay."""

from __future__ import annotations

import datetime as dt

import time_machine
from axes.models import AccessFailureLog, AccessLog
from django.test import Client
from django.utils import timezone

from accounts.tasks import prune
from tests.support.personas import PASSWORD


def _log_in_and_fail() -> None:
    assert (
        Client().post("/login/", {"username": "auditor", "password": PASSWORD}).status_code == 302
    )
    Client().post("/login/", {"username": "auditor", "password": "wrong"})


def test_login_records_are_kept_for_the_configured_days_then_pruned(demo, settings):
    assert settings.FUNDFLOW_LOGIN_LOG_DAYS == 190
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        _log_in_and_fail()
        assert AccessLog.objects.filter(username="auditor").count() == 1
        assert AccessFailureLog.objects.filter(username="auditor").count() == 1
        clock.move_to(start + dt.timedelta(days=189))
        prune()
        assert AccessLog.objects.filter(username="auditor").exists()
        assert AccessFailureLog.objects.filter(username="auditor").exists()
        clock.move_to(start + dt.timedelta(days=191))
        result = prune()
        assert result["login_records"] >= 1 and result["failed_logins"] >= 1
        assert not AccessLog.objects.filter(username="auditor").exists()
        assert not AccessFailureLog.objects.filter(username="auditor").exists()
