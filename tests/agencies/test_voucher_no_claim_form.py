"""Issue 19: an SME sees its vouchers, never a claim form; the voucher programme's portal button
leads to the vouchers (the agency files the claim from its desk)."""

from __future__ import annotations

from tests.support.claims import register_org
from tests.support.clients import login, web


def test_the_voucher_programme_offers_the_vouchers_not_a_claim_form(demo):
    register_org(login("applicant"))
    for username in ("applicant", "agency"):
        client = web(username)
        html = client.get("/portal/").content.decode()
        assert "/portal/programs/service-voucher/apply/" not in html
        assert 'href="/vouchers/"' in html and "我的服务券" in html
        response = client.get("/portal/programs/service-voucher/apply/")
        assert response.status_code == 302 and response["Location"] == "/vouchers/"
    # the certification subsidy keeps its claim form
    assert web("applicant").get("/portal/programs/cert-subsidy/apply/").status_code == 200
