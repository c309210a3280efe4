"""The voucher desk in Chromium: the agency follows the QR link, redeems, files its claim; the SME
and the administrator see their pages. Each page is shot at 1280 px and 375 px (no sideways
scrolling). Skipped, like the journey test, when Chromium is missing."""

from __future__ import annotations

from agencies.models import Redemption, Voucher
from tests.support.browser import BROWSER, shoot
from tests.support.clients import login
from tests.support.vouchers import issue, register_smes

pytestmark = BROWSER


def test_voucher_desk_through_the_browser(web):
    voucher = Voucher.objects.get(pk=issue(login("admin"), register_smes(1)[0])["id"])

    sme = web("applicant")
    sme.goto(f"{web.url}/portal/")
    sme.wait_for_selector("#my-vouchers")
    shoot(sme, "v1-portal-sme")
    sme.click(f"#my-vouchers a:has-text('{voucher.number}')")
    sme.wait_for_selector(".qr svg")
    shoot(sme, "v2-voucher-holder")

    desk = web("agency")
    desk.goto(f"{web.url}/vouchers/verify/{voucher.code}/")
    shoot(desk, "v3-verify-agency")
    desk.click("#redeem-this")
    desk.wait_for_selector("#voucher-facts")
    desk.select_option("#r-service", "custody")
    desk.fill("#r-number", "HT-2026-0099")
    desk.fill("#r-price", "9000.00")
    shoot(desk, "v4-redeem-form")
    desk.click("main button[type=submit]")
    desk.wait_for_selector("#claim-form")
    assert Redemption.objects.filter(voucher=voucher).exists()
    shoot(desk, "v5-redeemed")
    desk.fill("#c-amount", "8000.00")
    desk.click("#claim-form button[type=submit]")
    desk.wait_for_selector("#claim-voucher")
    shoot(desk, "v6-claim-draft")
    desk.goto(f"{web.url}/vouchers/")
    shoot(desk, "v7-agency-vouchers")

    admin = web("admin")
    admin.goto(f"{web.url}/agencies/")
    shoot(admin, "v8-agencies-admin")
    admin.click("table a")
    shoot(admin, "v9-agency-admin")
