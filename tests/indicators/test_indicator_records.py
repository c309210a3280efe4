"""From a computed figure to the records it counts, as the staff member may see them, and
their export (issue 21: the count of the list equals the figure)."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import load_workbook

from indicators.models import Indicator
from indicators.report import indicator_row
from tests.indicators.test_indicator_figures import COMPUTED, plan_years  # noqa: F401
from tests.support.clients import web


def _listed(client, number: int, year: int, scope: str, measure: str = ""):
    response = client.get(
        f"/dashboard/indicators/{number}/", {"year": year, "scope": scope, "measure": measure}
    )
    assert response.status_code == 200
    return response


def test_the_list_behind_each_computed_figure_is_the_figure(plan_years):  # noqa: F811
    auditor = web("auditor")
    for year in (2021, 2022, 2023):
        for number in COMPUTED:
            row = indicator_row(Indicator.objects.get(number=number), year)
            for m in row["measures"]:
                for scope in ("in_year", "cumulative"):
                    ctx = _listed(auditor, number, year, scope, m.key).context
                    figure = m.in_year if scope == "in_year" else m.cumulative
                    assert ctx["figure"] == figure, (number, year, scope, m.key)
                    if m.key == "amount":
                        assert sum(line["amount"] for line in ctx["lines"]) == figure
                    else:
                        assert len(ctx["lines"]) == figure, (number, year, scope)
                    assert ctx["complete"]


def test_a_count_of_organisations_lists_each_once_with_its_records(plan_years):  # noqa: F811
    response = _listed(web("auditor"), 1, 2023, "cumulative")
    lines = response.context["lines"]
    assert len(lines) == 4
    repeated = [line for line in lines if len(line["records"]) == 3]
    assert len(repeated) == 1  # the SME that adopted patents in each of the three years
    page = response.content.decode()
    assert repeated[0]["organization"] in page
    assert "sme-patent-adoption" not in page  # programme names, never codes


def test_the_dashboard_links_computed_figures_to_their_records(plan_years):  # noqa: F811
    page = web("reviewer-city").get("/dashboard/", {"year": 2022}).content.decode()
    assert "/dashboard/indicators/8/?year=2022&amp;scope=cumulative" in page
    assert "/dashboard/indicators/10/" not in page  # entered: no records behind it
    assert web("auditor").get("/dashboard/indicators/10/", {"year": 2022}).status_code == 404


def test_a_district_reviewer_sees_the_records_of_the_district_only(plan_years):  # noqa: F811
    ctx = _listed(web("reviewer-shayibake"), 8, 2023, "cumulative").context
    assert ctx["figure"] == 6 and len(ctx["lines"]) == 0 and not ctx["complete"]
    assert web("applicant").get("/dashboard/indicators/8/").status_code == 403


def test_export_of_the_records(plan_years):  # noqa: F811
    response = web("auditor").get(
        "/dashboard/indicators/4/export.xlsx",
        {"year": 2022, "scope": "in_year", "measure": "amount"},
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[2][0] == "记录" or rows[2][0] == "Record"
    body = rows[3:-1]
    assert len(body) == 2 and sum(Decimal(str(r[5])) for r in body) == Decimal("1500000")
    assert all(str(r[6]).startswith("http") for r in body)  # absolute links
    assert rows[-1][1] == rows[-1][3] == 1500000
    page = (
        web("auditor")
        .get("/dashboard/indicators/4/", {"year": 2022, "scope": "in_year", "measure": "amount"})
        .content.decode()
    )
    assert "¥1,000,000.00" in page and "¥1,500,000.00" in page  # money as people read it
