"""Issue 19: an agency that withdraws its voucher claim voids the voucher and releases its
budget hold, as a rejection would; after a final decision the withdrawal is refused."""

from __future__ import annotations

from agencies.models import Voucher
from finance.models import LedgerEntry
from tests.support.claims import decide
from tests.support.clients import login
from tests.support.vouchers import demo_agency_id, file_claim, issue, redeem, register_smes


def _claimed():
    admin, agency, sme = login("admin"), login("agency"), login("applicant")
    voucher = issue(admin, register_smes(1)[0])
    assert redeem(sme, voucher["id"], demo_agency_id(admin)).status_code == 201
    claim = file_claim(agency, voucher["id"])
    submitted = agency.post(f"/applications/{claim['id']}/submit")
    assert submitted.status_code == 200, submitted.content
    return agency, voucher["id"], claim["id"]


def test_a_withdrawn_voucher_claim_voids_the_voucher_and_releases_its_hold(demo):
    agency, voucher_id, claim_id = _claimed()
    response = agency.post(f"/applications/{claim_id}/withdraw", {"reason": "服务合同解除"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "withdrawn"
    voucher = Voucher.objects.get(pk=voucher_id)
    assert voucher.status == "void"
    assert voucher.hold_release is not None
    assert voucher.hold_release.kind == LedgerEntry.Kind.RELEASE
    assert voucher.hold_release.amount == voucher.hold.amount
    # the reviewer has nothing left to decide
    assert decide(login("reviewer-tianshan"), claim_id, "approve").status_code == 409


def test_a_rejected_voucher_claim_cannot_be_withdrawn(demo):
    agency, voucher_id, claim_id = _claimed()
    assert decide(login("reviewer-tianshan"), claim_id, "reject", "合同不符").status_code == 200
    response = agency.post(f"/applications/{claim_id}/withdraw", {"reason": "撤回"})
    assert response.status_code == 409
    assert Voucher.objects.get(pk=voucher_id).status == "void"
