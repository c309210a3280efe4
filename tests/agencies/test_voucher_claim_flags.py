"""Collusion signs and an exited agency are shown to reviewers; they never reject a claim."""

from agencies.models import Redemption
from grants.models import Organization
from tests.support.claims import decide
from tests.support.vouchers import demo_agency_id, file_claim, issue, redeem, register_smes


def test_shared_legal_representative_is_a_warning_and_a_flag(demo, as_user):
    admin, sme, agency = as_user("admin"), as_user("applicant"), as_user("agency")
    demo_agency = Organization.objects.get(kind="service_agency")
    org = register_smes(1, legal_representative=demo_agency.legal_representative)[0]
    voucher = issue(admin, org)
    assert redeem(sme, voucher["id"], demo_agency_id(sme)).status_code == 201
    claim = file_claim(agency, voucher["id"])
    submitted = agency.post(f"/applications/{claim['id']}/submit")
    assert submitted.status_code == 200, submitted.content  # a warning does not block
    check = next(c for c in submitted.json()["checks"] if c["rule"] == "sme_agency_related")
    assert (check["passed"], check["severity"]) == (False, "warn")
    seen = as_user("reviewer-tianshan").get(f"/applications/{claim['id']}").json()
    assert [f["code"] for f in seen["flags"]] == ["shared-legal-representative"]


def test_exited_agency_claims_are_held_for_review(demo, as_user):
    admin, sme, agency = as_user("admin"), as_user("applicant"), as_user("agency")
    agency_id = demo_agency_id(sme)
    voucher = issue(admin, register_smes(1)[0])
    assert redeem(sme, voucher["id"], agency_id).status_code == 201
    claim = file_claim(agency, voucher["id"])
    assert agency.post(f"/applications/{claim['id']}/submit").status_code == 200

    response = admin.post(
        f"/agencies/{agency_id}/penalties",
        {
            "decided_on": "2020-01-01",
            "authority": "乌鲁木齐市市场监督管理局",
            "document_number": "乌市监处〔2026〕9号",
            "reason": "出具虚假材料",
        },
    )
    assert response.status_code == 201, response.content
    assert Redemption.objects.get(claim_id=claim["id"]).held
    flags = as_user("reviewer-tianshan").get(f"/applications/{claim['id']}/flags").json()["flags"]
    assert flags[0]["code"] == "agency-exited"
    # held for review, not rejected: the chain is still the reviewers' to decide
    assert decide(as_user("reviewer-tianshan"), claim["id"], "approve", "已复核").status_code == 200


def test_one_agency_with_an_unusual_share_of_a_district_is_flagged(demo, as_user):
    admin, sme, agency = as_user("admin"), as_user("applicant"), as_user("agency")
    agency_id = demo_agency_id(sme)
    orgs = [o for o in register_smes(80) if o.district_id == "650103"][:10]
    for org in orgs:
        voucher = issue(admin, org)
        assert redeem(sme, voucher["id"], agency_id).status_code == 201
    claim = file_claim(agency, voucher["id"])
    submitted = agency.post(f"/applications/{claim['id']}/submit").json()
    check = next(c for c in submitted["checks"] if c["rule"] == "agency_district_share")
    assert check["passed"] is False and check["severity"] == "warn"
    assert "district-share" in [f["code"] for f in submitted["flags"]]
