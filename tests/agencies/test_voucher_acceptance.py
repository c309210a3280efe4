"""Issue 7, "Done when", through the API with the demo accounts: 300 vouchers issued from a sheet
(5 bad rows reported), one redeemed, its claim approved along the chain and paid; the same
voucher refused a second time; an agency exited by a penalty refused new vouchers; the custody
indicator counts the SME."""

from __future__ import annotations

from decimal import Decimal

from agencies.models import Voucher
from finance.models import Budget, LedgerEntry
from tests.support.claims import decide, register_org
from tests.support.documents import make_uscc
from tests.support.vouchers import (
    demo_agency_id,
    file_claim,
    redeem,
    register_smes,
    rows_for,
    upload_sheet,
    voucher_sheet,
)


def test_vouchers_from_issue_to_payment(demo, as_user, django_capture_on_commit_callbacks):
    admin, sme, agency, finance = (as_user(u) for u in ("admin", "applicant", "agency", "finance"))
    smes = register_smes(300)
    not_sme = register_smes(1, start=5000, is_sme=False)[0]
    rows = rows_for(smes)
    bad = [
        ("91650102MA0000001X", "校验位错误的公司", "650102"),  # invalid check digit
        (make_uscc(7777), "未注册的公司", "650102"),  # not registered
        (not_sme.uscc, not_sme.name, not_sme.district_id),  # not an SME
        rows[0],  # the same SME twice
        (smes[1].uscc, "名称不符的公司", smes[1].district_id),  # name differs from the register
    ]
    # bad rows spread through the sheet: rows 2.. are data
    sheet = rows[:100] + bad[:2] + rows[100:200] + bad[2:] + rows[200:]
    # smes[1] appears with a wrong name: drop its good row so 300 distinct SMEs remain issuable
    sheet.remove(rows[1])
    sheet.append(rows[1])  # ... and add it back at the end, where it is issued

    response = upload_sheet(admin, voucher_sheet(sheet))

    assert response.status_code == 200, response.content
    report = response.json()
    assert report["rows"] == 305
    assert report["issued"] == 300
    assert len(report["rejected"]) == 5
    reasons = {r["row"]: r["errors"][0]["field"] for r in report["rejected"]}
    assert sorted(reasons.values()) == ["name", "sme", "uscc", "uscc", "uscc"]
    assert Voucher.objects.count() == 300
    budget = Budget.objects.get(program__code="service-voucher")
    assert budget.committed == Decimal("3000000.00")  # each face value held from issue

    # the SME sees its voucher with the secret code and a QR code; anyone can verify the code
    mine = sme.get("/vouchers", sme=smes[2].pk).json()["results"][0]
    detail = sme.get(f"/vouchers/{mine['id']}").json()
    assert len(detail["code"]) >= 32
    assert sme.get(f"/vouchers/{mine['id']}/qr.svg").content.startswith(b"<svg")
    from django.test import Client

    verified = Client().get(f"/api/v1/vouchers/verify/{detail['code']}").json()
    assert verified["valid"] is True and verified["number"] == detail["number"]

    # redeemed at the admitted demo agency
    agency_id = demo_agency_id(sme)
    assert redeem(sme, mine["id"], agency_id).status_code == 201
    # ... only once
    again = redeem(sme, mine["id"], agency_id)
    assert again.status_code == 409
    assert again["Content-Type"] == "application/problem+json"

    # the agency files its claim with the contract and proof of delivery; it runs the chain
    claim = file_claim(agency, mine["id"], "8000.00")
    submitted = agency.post(f"/applications/{claim['id']}/submit")
    assert submitted.status_code == 200, submitted.content
    body = submitted.json()
    assert body["status"] == "in_review" and body["level"] == "district"
    assert body["award_amount"] == "8000.00"
    failed = [c for c in body["checks"] if c["passed"] is not True]
    assert failed == [], failed
    for reviewer in ("reviewer-tianshan", "reviewer-city", "reviewer-region"):
        with django_capture_on_commit_callbacks(execute=True):  # the letter task runs after commit
            decided = decide(as_user(reviewer), claim["id"], "approve", "同意")
        assert decided.status_code == 200, decided.content
    assert decided.json()["status"] == "approved"

    # the voucher's hold went back and the award was committed in its place
    voucher = Voucher.objects.get(pk=mine["id"])
    assert voucher.status == "used"
    assert voucher.hold_release.kind == LedgerEntry.Kind.RELEASE
    budget.refresh_from_db()
    assert budget.committed == Decimal("2998000.00")  # 299 holds + 8,000 award

    # the award letter was issued after commit: the claim is awarded and its PDF downloadable
    assert agency.get(f"/applications/{claim['id']}").json()["status"] == "awarded"
    letter = agency.client.get(
        f"/api/v1/applications/{claim['id']}/letter", HTTP_AUTHORIZATION=f"Bearer {agency.token}"
    )
    assert letter.status_code == 200 and letter["Content-Type"] == "application/pdf"
    batch = finance.post("/disbursements", {"awards": [claim["id"]]})
    assert batch.status_code == 201, batch.content
    paid = finance.post(f"/disbursements/{batch.json()['id']}/paid", {"reference": "BANK-7-0001"})
    assert paid.status_code == 200, paid.content
    assert agency.get(f"/applications/{claim['id']}").json()["status"] == "paid"
    ledger_kinds = set(LedgerEntry.objects.filter(budget=budget).values_list("kind", flat=True))
    assert {"allocate", "commit", "release", "disburse", "pay"} <= ledger_kinds

    # an agency exited by an administrative penalty takes no new voucher
    other_org = register_org(
        agency, serial=9001, name="某知识产权代理事务所", kind="service_agency"
    )
    admitted = admin.post("/agencies", {"organization": other_org, "services": ["custody"]})
    assert admitted.status_code == 201, admitted.content
    other = admitted.json()["id"]
    penalty = admin.post(
        f"/agencies/{other}/penalties",
        {
            "decided_on": voucher.issued_at.date().isoformat(),
            "authority": "乌鲁木齐市市场监督管理局",
            "document_number": "乌市监处〔2026〕7号",
            "reason": "虚假宣传",
        },
    )
    assert penalty.status_code == 201, penalty.content
    assert penalty.json()["status"] == "exited"
    another = sme.get("/vouchers", sme=smes[3].pk).json()["results"][0]
    refused = redeem(sme, another["id"], other)
    assert refused.status_code == 409
    assert Voucher.objects.get(pk=another["id"]).status == "issued"

    # indicator 9: one SME in IP custody this year
    year = voucher.program.year
    indicator = admin.get("/indicators/smes-in-custody", year=year).json()
    assert indicator["value"] == 1


def test_supported_agencies_indicator_counts_agencies_with_approved_claims(demo):
    from agencies.indicators import supported_service_agencies
    from grants.models import Application, Organization, Program, User

    program = Program.objects.get(code="service-voucher")
    agency = Organization.objects.filter(kind="service_agency").first()
    assert supported_service_agencies(program.year) == 0
    Application.objects.create(
        number="SV-T-1",
        program=program,
        organization=agency,
        status="approved",
        submitted_at=program.opens,
        created_by=User.objects.get(username="agency"),
    )
    assert supported_service_agencies(program.year) == 1
