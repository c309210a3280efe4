"""The indicator dashboard: entered figures, breakdowns, export, who sees it, the public page."""

from __future__ import annotations

import io
from decimal import Decimal

from django.test import Client
from openpyxl import load_workbook

from grants.audit import AuditEntry
from grants.models import Application, Status, User
from indicators.models import Indicator, IndicatorActual
from indicators.services import indicator_actual_record
from tests.support.clients import web


def _rows(response) -> dict[int, dict]:
    return {r["number"]: r for r in response.context["rows"]}


def test_entered_figure_is_shown_with_its_source_and_audited(demo):
    admin = User.objects.get(username="admin")
    platform = Indicator.objects.get(number=10)
    indicator_actual_record(
        actor=admin,
        indicator=platform,
        year=2023,
        value=Decimal(1),
        source_note="市市场监管局认定文件",
    )
    row = _rows(web("admin").get("/dashboard/", {"year": 2023}))[10]
    assert row["in_year"] == Decimal(1) and row["cumulative"] == Decimal(1)
    assert row["source"] == "entered" and row["met"] and not row["computed"]
    assert "市市场监管局认定文件" in row["how_in_year"]
    assert AuditEntry.objects.filter(action="indicator.actual").count() == 1
    assert IndicatorActual.objects.count() == 1


def test_breakdowns_per_district_and_programme(submitted_app):
    Application.objects.filter(pk=submitted_app["id"]).update(status=Status.APPROVED)
    response = web("reviewer-city").get("/dashboard/")
    tianshan = next(d for d in response.context["districts"] if d["key"] == "650102")
    assert (tianshan["applications"], tianshan["awards"]) == (1, 1)
    assert tianshan["amount"] == Decimal(submitted_app["award_amount"])
    cert = next(p for p in response.context["programs"] if p["key"] == "cert-subsidy")
    assert cert["awards"] == 1


def test_excel_export_has_the_appendix_columns(submitted_app):
    response = web("auditor").get("/dashboard/export.xlsx", {"year": 2023})
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    sheet = wb.worksheets[0]
    assert sheet.max_row == 13  # header + 12 indicators
    assert len(wb.worksheets) == 3
    values = [c.value for c in sheet[10]]  # indicator 9
    assert "知识产权托管" in values and "1000家" in values and "≥1000" in values


def test_dashboard_is_for_staff_and_the_public_page_names_no_one(submitted_app):
    assert web("applicant").get("/dashboard/").status_code == 403
    assert Client().get("/dashboard/").status_code == 302
    Application.objects.filter(pk=submitted_app["id"]).update(status=Status.APPROVED)
    public = Client().get("/public/indicators/")
    assert public.status_code == 200
    page = public.content.decode()
    assert "乌鲁木齐天山新材料科技有限公司" not in page
    assert "91650102" not in page  # no USCC
    assert "/dashboard/export" not in page
    assert "/dashboard/indicators/" not in page  # totals only: no list of records
    assert "贯标认证" in page


def test_admin_edits_a_definition_as_a_new_version_audited(demo):
    client = web("admin")
    ind = Indicator.objects.get(number=11)
    url = f"/admin/indicators/indicator/{ind.pk}/change/"
    assert client.get(url).status_code == 200
    import json

    data = {
        "name": ind.name,
        "name_en": ind.name_en,
        "unit": ind.unit,
        "unit_en": ind.unit_en,
        "requirement": ind.requirement,
        "target_text": ind.target_text,
        "kind": ind.kind,
        "targets": json.dumps(ind.targets, ensure_ascii=False),
        "source": json.dumps(ind.source | {"note": "自治区知识产权局认定文件"}, ensure_ascii=False),
        "versions-TOTAL_FORMS": "0",
        "versions-INITIAL_FORMS": "0",
        "versions-MIN_NUM_FORMS": "0",
        "versions-MAX_NUM_FORMS": "1000",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    ind.refresh_from_db()
    assert ind.version == 2 and ind.source["note"] == "自治区知识产权局认定文件"
    entry = AuditEntry.objects.get(action="indicator.definition")
    assert entry.data["changed"] == ["source"] and entry.data["version"] == 2
    assert ind.versions.get(version=2).definition["source"]["note"] == "自治区知识产权局认定文件"
    # a target without a scope is refused, nothing saved
    bad = data | {"targets": json.dumps({"2023": {"text": "3个", "value": "3"}})}
    response = client.post(url, bad)
    assert response.status_code == 200
    ind.refresh_from_db()
    assert ind.version == 2
