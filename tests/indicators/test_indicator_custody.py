"""Indicator 9: SMEs with a redeemed custody voucher in the year."""

from django.utils import timezone

from agencies.indicators import smes_in_custody
from tests.support.vouchers import demo_agency_id, issue, redeem, register_smes


def test_counts_smes_with_a_redeemed_custody_voucher(demo, as_user):
    admin, sme = as_user("admin"), as_user("applicant")
    agency_id = demo_agency_id(sme)
    orgs = register_smes(4)
    vouchers = [issue(admin, org) for org in orgs]
    redeem(sme, vouchers[0]["id"], agency_id, service="custody")
    redeem(sme, vouchers[1]["id"], agency_id, service="custody")
    redeem(sme, vouchers[2]["id"], agency_id, service="valuation")  # not custody
    # vouchers[3] issued, never redeemed
    year = timezone.localdate().year
    assert smes_in_custody(year) == 2
    assert smes_in_custody(year - 1) == 0
    body = as_user("auditor").get("/indicators/smes-in-custody", year=year).json()
    assert body == {"indicator": "smes_in_ip_custody", "year": year, "value": 2}
