"""The payment file carries what a 国库集中支付 instruction needs, from the bank details the
batch recorded; a payee without confirmed bank details cannot enter a batch."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from finance.models import DisbursementBatch, DisbursementItem
from grants.models import Organization
from tests.support.claims import decide
from tests.support.clients import web
from tests.support.factories import OrganizationFactory
from tests.support.finance import approved_apps, at_region, column_of
from tests.support.personas import APPLICANT


def _csv(finance, batch_id: int) -> list[list[str]]:
    text = finance.get(f"/disbursements/{batch_id}/payment-file", format="csv").content
    return list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))


def test_the_csv_carries_each_payees_account_and_bank_code(as_user):
    apps = approved_apps(as_user, 1, tag="P")
    other = OrganizationFactory(
        serial=7001,
        members=[APPLICANT],
        bank_name="中国农业银行股份有限公司乌鲁木齐新华南路支行",
        bank_account_number="30300101040012345",
        cnaps_code="103881000115",
    )
    app = at_region(other, "P-OTHER")
    assert decide(as_user("reviewer-region"), app.pk, "approve").status_code == 200
    finance = as_user("finance")
    batch = finance.post("/disbursements", {"awards": [apps[0].pk, app.pk]}).json()

    table = _csv(finance, batch["id"])
    col = column_of(table[0])
    for name in (
        "收款人名称",
        "收款人账号",
        "开户银行",
        "行号",
        "金额（元）",
        "大写金额",
        "用途",
        "项目",
        "申请编号",
    ):
        assert name in col, name
    rows = {row[col["申请编号"]]: row for row in table[1:-1]}
    first = Organization.objects.get(pk=apps[0].organization_id)
    for number, org in ((apps[0].number, first), (app.number, other)):
        row = rows[number]
        assert row[col["收款人名称"]] == org.bank_account_name
        assert row[col["收款人账号"]] == org.bank_account_number
        assert row[col["开户银行"]] == org.bank_name
        assert row[col["行号"]] == org.cnaps_code
        assert row[col["金额（元）"]] == "30000.00" and row[col["大写金额"]] == "叁万元整"
        assert row[col["项目"]] and row[col["用途"]]
    total = table[-1]
    assert total[col["金额（元）"]] == "60000.00" and total[col["大写金额"]] == "陆万元整"

    # the same in the workbook, the account number a text cell (no 3.0e+16)
    xlsx = finance.get(f"/disbursements/{batch['id']}/payment-file")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=column_of(header)["收款人账号"] + 1)
    assert cell.data_type == "s" and cell.value == first.bank_account_number


def test_a_payee_without_confirmed_bank_details_is_refused_by_name(as_user):
    apps = approved_apps(as_user, 1, tag="Q")
    bare = OrganizationFactory(
        serial=7002, name="乌鲁木齐无账户科技有限公司", members=[APPLICANT], bank=False
    )
    app = at_region(bare, "Q-BARE")
    assert decide(as_user("reviewer-region"), app.pk, "approve").status_code == 200
    finance = as_user("finance")
    before = DisbursementBatch.objects.count()

    refused = finance.post("/disbursements", {"awards": [apps[0].pk, app.pk]})
    assert refused.status_code == 422, refused.content
    problem = refused.json()
    assert problem["type"].endswith("bank-details-missing")
    assert "乌鲁木齐无账户科技有限公司" in problem["detail"]
    assert [e["field"] for e in problem["errors"]] == ["awards[1]"]
    assert "乌鲁木齐无账户科技有限公司" in problem["errors"][0]["message"]
    assert DisbursementBatch.objects.count() == before
    # details waiting for confirmation do not count either
    Organization.objects.filter(pk=bare.pk).update(
        bank_account_name=bare.name, bank_name="某银行", bank_account_number="123456789012"
    )
    assert finance.post("/disbursements", {"awards": [app.pk]}).status_code == 422
    # the others go alone
    assert finance.post("/disbursements", {"awards": [apps[0].pk]}).status_code == 201


def test_the_finance_page_names_the_payee_without_bank_details(as_user):
    bare = OrganizationFactory(
        serial=7003, name="乌鲁木齐待补账户科技有限公司", members=[APPLICANT], bank=False
    )
    app = at_region(bare, "W-BARE")
    assert decide(as_user("reviewer-region"), app.pk, "approve").status_code == 200
    page = web("finance").post("/finance/disbursements/new/", {"awards": [app.pk]}, follow=True)
    assert page.status_code == 200
    html = page.content.decode()
    message = html.split('<li class="error">', 1)[1].split("</li>", 1)[0]
    assert "乌鲁木齐待补账户科技有限公司" in message and "银行账户" in message
    assert not DisbursementItem.objects.filter(application=app).exists()


def test_changing_bank_details_after_the_award_does_not_rewrite_a_paid_batch(as_user, applicant):
    apps = approved_apps(as_user, 2, tag="R")
    org = Organization.objects.get(pk=apps[0].organization_id)
    old_account = org.bank_account_number
    finance = as_user("finance")
    batch = finance.post("/disbursements", {"awards": [apps[0].pk]}).json()
    assert (
        finance.post(f"/disbursements/{batch['id']}/paid", {"reference": "TRE-1"}).status_code
        == 200
    )
    before = _csv(finance, batch["id"])

    # the organisation changes its account; the district reviewer confirms (one administrator)
    new = {
        "account_name": org.name,
        "bank_name": "乌鲁木齐银行股份有限公司营业部",
        "account_number": "101010000123456789",
        "cnaps_code": "313881000017",
    }
    change = applicant.patch(f"/organizations/{org.pk}", {"bank_account": new}).json()
    path = f"/organizations/{org.pk}/bank-account/changes/{change['bank_account_pending']['id']}"
    assert as_user("reviewer-tianshan").post(f"{path}/confirm").status_code == 200

    assert _csv(finance, batch["id"]) == before  # the paid batch's file, as it was
    item = DisbursementItem.objects.get(batch_id=batch["id"])
    assert item.account_number == old_account and item.cnaps_code == "102881000014"
    # a later batch pays the new account
    later = finance.post("/disbursements", {"awards": [apps[1].pk]}).json()
    table = _csv(finance, later["id"])
    col = column_of(table[0])
    assert table[1][col["收款人账号"]] == "101010000123456789"
    assert table[1][col["行号"]] == "313881000017"
    assert table[1][col["开户银行"]] == "乌鲁木齐银行股份有限公司营业部"
