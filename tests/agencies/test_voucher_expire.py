"""Unused vouchers expire at the end of their validity; the held face value goes back to the budget."""

import datetime as dt
from decimal import Decimal
from io import StringIO

import time_machine
from django.core.management import call_command
from django.utils import timezone

from agencies.models import Voucher
from finance.models import Budget, LedgerEntry
from tests.support.vouchers import demo_agency_id, issue, redeem, register_smes


def test_expiry_releases_the_hold_with_a_frozen_clock(demo, as_user):
    admin, sme = as_user("admin"), as_user("applicant")
    year = timezone.localdate().year
    with time_machine.travel(
        dt.datetime(year, 3, 1, 10, 0, tzinfo=timezone.get_current_timezone())
    ):
        smes = register_smes(3)
        vouchers = [issue(admin, org) for org in smes]
        redeem(sme, vouchers[2]["id"], demo_agency_id(sme))  # redeemed, but no claim filed
    budget = Budget.objects.get(program__code="service-voucher")
    assert budget.committed == Decimal("30000.00")
    valid_until = Voucher.objects.get(pk=vouchers[0]["id"]).valid_until
    assert valid_until == dt.date(year, 3, 1) + dt.timedelta(days=180)

    with time_machine.travel(
        dt.datetime.combine(valid_until, dt.time(23, 0)).replace(
            tzinfo=timezone.get_current_timezone()
        )
    ):
        call_command("voucher_expire", stdout=StringIO())
        assert Voucher.objects.filter(status="expired").count() == 0  # still valid on its last day

    with time_machine.travel(
        dt.datetime.combine(valid_until + dt.timedelta(days=1), dt.time(1, 0)).replace(
            tzinfo=timezone.get_current_timezone()
        )
    ):
        out = StringIO()
        call_command("voucher_expire", stdout=out)
        assert "expired 3" in out.getvalue()
        call_command("voucher_expire", stdout=StringIO())  # idempotent

    assert set(Voucher.objects.values_list("status", flat=True)) == {"expired"}
    budget.refresh_from_db()
    assert budget.committed == Decimal("0.00")
    releases = LedgerEntry.objects.filter(budget=budget, kind="release")
    assert releases.count() == 3
    assert all(e.amount == Decimal("10000.00") for e in releases)
    ledger = as_user("finance").get("/ledger").json()
    assert "release" in str(ledger)
    # an expired voucher cannot be redeemed
    assert redeem(sme, vouchers[0]["id"], demo_agency_id(sme)).status_code == 409
