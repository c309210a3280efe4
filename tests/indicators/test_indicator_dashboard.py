"""The indicator dashboard: the plan's 12 indicators with targets, live and entered figures, export, public page."""

from __future__ import annotations

import io
from decimal import Decimal

from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from grants.models import Application, Status
from indicators.models import Indicator, IndicatorActual
from indicators.services import indicator_actual_record
from tests.support.clients import web


def _rows(response) -> dict[str, dict]:
    return {r["code"]: r for r in response.context["rows"]}


def test_twelve_indicators_with_the_plans_targets(demo):
    assert Indicator.objects.count() == 12
    certified = Indicator.objects.get(number=8)
    assert [certified.target_for(y) for y in (2021, 2022, 2023)] == [30, 70, 200]
    assert Indicator.objects.get(number=7).target_for(2021) is None
    response = web("reviewer-city").get("/dashboard/", {"year": 2022})
    assert response.status_code == 200
    rows = _rows(response)
    assert len(rows) == 12
    assert rows["certified-organizations"]["target"] == Decimal(70)
    page = response.content.decode()
    assert "≥40%" in page and "知识产权管理规范贯标认证单位" in page


def test_certified_organisations_is_computed_from_approved_claims(submitted_app):
    year = timezone.localdate().year
    client = web("reviewer-city")
    assert _rows(client.get("/dashboard/", {"year": year}))["certified-organizations"][
        "actual"
    ] == Decimal(0)
    Application.objects.filter(pk=submitted_app["id"]).update(status=Status.APPROVED)
    row = _rows(client.get("/dashboard/", {"year": year}))["certified-organizations"]
    assert row["actual"] == Decimal(1) and row["source"] == "computed"
    assert row["target_is_other_year"]  # after 2023: measured against the plan's last target


def test_a_figure_registered_by_another_app_is_used(demo, monkeypatch):
    import agencies.indicators
    from indicators.registry import REGISTRY, register_source

    client = web("reviewer-city")
    row = _rows(client.get("/dashboard/", {"year": 2023}))["smes-in-custody"]
    assert (
        row["actual"] == Decimal(agencies.indicators.smes_in_custody(2023))
        and row["source"] == "external"
    )
    monkeypatch.setitem(REGISTRY, "smes-in-custody", REGISTRY["smes-in-custody"])
    register_source("smes-in-custody", lambda year: 420, "custody vouchers")
    row = _rows(client.get("/dashboard/", {"year": 2023}))["smes-in-custody"]
    assert row["actual"] == Decimal(420) and row["source"] == "external"
    assert row["met"] is False and row["progress"] == 42.0


def test_entered_figure_is_shown_with_its_source_and_audited(demo):
    from grants.audit import AuditEntry
    from grants.models import User

    admin = User.objects.get(username="admin")
    growth = Indicator.objects.get(code="patent-contract-value-growth")
    indicator_actual_record(
        actor=admin, indicator=growth, year=2022, value=Decimal("45.5"), source_note="市科技局年报"
    )
    row = _rows(web("admin").get("/dashboard/", {"year": 2022}))["patent-contract-value-growth"]
    assert row["actual"] == Decimal("45.5") and row["source"] == "entered" and row["met"]
    assert row["source_note"] == "市科技局年报"
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


def test_excel_export(submitted_app):
    response = web("auditor").get("/dashboard/export.xlsx", {"year": 2023})
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    sheet = wb.worksheets[0]
    assert sheet.max_row == 13  # header + 12 indicators
    assert len(wb.worksheets) == 3


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
