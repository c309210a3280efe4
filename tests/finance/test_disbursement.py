"""Finance builds a batch from approved awards, exports the bank file, records the payment once."""

import csv
import io
from decimal import Decimal

from openpyxl import load_workbook

from finance.models import Budget, LedgerEntry
from finance.reconciliation import reconciliation_report
from grants.models import Application
from tests.support.finance import approved_apps, at_region, column_of, finance_org


def test_batch_payment_file_and_payment(as_user):
    apps = approved_apps(as_user, 2)
    finance = as_user("finance")
    response = finance.post("/disbursements", {"awards": [a.pk for a in apps], "note": "第一批"})
    assert response.status_code == 201, response.content
    batch = response.json()
    assert batch["status"] == "open" and batch["total"] == "60000.00"
    assert batch["number"].startswith("DB-")

    xlsx = finance.get(f"/disbursements/{batch['id']}/payment-file")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    col = column_of(rows[0])
    assert rows[1][col["申请编号"]] == apps[0].number
    assert Decimal(str(rows[1][col["金额（元）"]])) == Decimal("30000")
    assert rows[1][col["大写金额"]] == "叁万元整"
    text = finance.get(f"/disbursements/{batch['id']}/payment-file", format="csv").content
    table = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    col = column_of(table[0])
    assert table[1][col["金额（元）"]] == "30000.00" and table[-1][col["金额（元）"]] == "60000.00"

    paid = finance.post(f"/disbursements/{batch['id']}/paid", {"reference": "ICBC-20260101-1"})
    assert paid.status_code == 200, paid.content
    assert paid.json()["status"] == "paid"
    assert set(
        Application.objects.filter(pk__in=[a.pk for a in apps]).values_list("status", flat=True)
    ) == {"paid"}
    budget = Budget.objects.get(program__code="cert-subsidy")
    assert budget.paid == Decimal("60000.00")

    # a replayed bank callback changes nothing; another reference is a conflict
    again = finance.post(f"/disbursements/{batch['id']}/paid", {"reference": "ICBC-20260101-1"})
    assert again.status_code == 200
    other = finance.post(f"/disbursements/{batch['id']}/paid", {"reference": "ICBC-OTHER"})
    assert other.status_code == 409
    assert LedgerEntry.objects.filter(kind="pay").count() == 2
    # a paid award cannot go into a new batch
    response = finance.post("/disbursements", {"awards": [apps[0].pk]})
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "awards[0]"
    ledger = finance.get("/ledger", kind="pay").json()
    assert ledger["count"] == 2 and ledger["results"][0]["amount"] == "30000.00"
    assert reconciliation_report() == []


def test_an_award_is_in_one_open_batch_and_a_cancelled_batch_releases_it(as_user):
    apps = approved_apps(as_user, 1, "C")
    finance = as_user("finance")
    first = finance.post("/disbursements", {"awards": [apps[0].pk]}).json()
    second = finance.post("/disbursements", {"awards": [apps[0].pk]})
    assert second.status_code == 409
    assert first["number"] in second.json()["errors"][0]["message"]
    cancelled = finance.post(f"/disbursements/{first['id']}/cancel", {"reason": "账户信息有误"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert finance.post(f"/disbursements/{first['id']}/paid", {"reference": "X"}).status_code == 409
    again = finance.post("/disbursements", {"awards": [apps[0].pk]})
    assert again.status_code == 201, again.content
    assert LedgerEntry.objects.filter(kind="reverse", application=apps[0]).count() == 1
    assert reconciliation_report() == []


def test_awards_not_approved_are_refused(as_user):
    app = at_region(finance_org(), "N1")
    finance = as_user("finance")
    response = finance.post("/disbursements", {"awards": [app.pk, 999999]})
    assert response.status_code == 409
    fields = [e["field"] for e in response.json()["errors"]]
    assert fields == ["awards[0]", "awards[1]"]
    assert finance.post("/disbursements", {"awards": []}).status_code == 422
