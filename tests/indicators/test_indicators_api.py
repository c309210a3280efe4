"""GET /api/v1/indicators?year= (staff): the dashboard's rows, in the OpenAPI (issue 21)."""

from __future__ import annotations

from django.test import Client

from tests.indicators.test_indicator_figures import plan_years  # noqa: F401
from tests.support.clients import web


def test_the_api_matches_the_dashboard(plan_years, as_user):  # noqa: F811
    for year in (2021, 2022, 2023, 2024):
        body = as_user("auditor").get("/indicators", year=year).json()
        assert body["year"] == year and body["count"] == 12
        rows = {
            r["number"]: r
            for r in web("auditor").get("/dashboard/", {"year": year}).context["rows"]
        }
        for item in body["results"]:
            r = rows[item["number"]]
            assert item["name"] == r["name"] and item["unit"] == r["unit"]
            assert item["requirement"] == r["requirement"] and item["target"] == r["target_text"]
            assert item["computed"] == r["computed"] and item["source"]["type"] == r["source"]
            for key in ("in_year", "cumulative"):
                value = r[key]
                assert (item[key] is None) == (value is None)
                if value is not None:
                    assert float(item[key]) == float(value), (item["number"], key)
            for t in r["targets"]:
                target = item["targets"][str(t["year"])]
                assert target["text"] == t["text"] and target["scope"] == t["scope"]
    body = as_user("auditor").get("/indicators", year=2023).json()
    custody = next(r for r in body["results"] if r["number"] == 9)
    assert custody["name"] == "知识产权托管" and custody["unit"] == "家"
    assert custody["targets"]["2021"] == {"text": "300家", "value": "300", "scope": "in_year"}
    assert custody["targets"]["2023"] == {"text": "1000家", "value": "1000", "scope": "cumulative"}
    pledge = next(r for r in body["results"] if r["number"] == 4)
    assert [m["key"] for m in pledge["measures"]] == ["amount", "count"]
    assert pledge["measures"][0]["cumulative"] == "4000000.00"  # money: two places
    assert pledge["measures"][1]["cumulative"] == "5"


def test_who_may_ask_and_bad_years(demo, as_user):
    assert as_user("applicant").get("/indicators").status_code == 403
    assert Client().get("/api/v1/indicators").status_code == 401
    response = as_user("auditor").get("/indicators", year="abc")
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["field"] == "year"
    assert as_user("auditor").get("/indicators", year=1999).status_code == 422
    assert as_user("reviewer-city").get("/indicators").status_code == 200


def test_in_the_openapi(demo):
    schema = Client().get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/indicators"]["get"]
    assert any(p["name"] == "year" for p in operation["parameters"])
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    out = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert {"year", "count", "results"} <= set(out["properties"])
    item = schema["components"]["schemas"]["PlanIndicatorOut"]["properties"]
    for name in (
        "number",
        "name",
        "unit",
        "requirement",
        "targets",
        "in_year",
        "cumulative",
        "computed",
        "source",
    ):
        assert name in item


def test_the_older_indicator_endpoints_keep_their_own_schemas(demo):
    # two schemas of one name would overwrite each other in the OpenAPI: the plan's rows
    # and the programmes' ranking have names of their own; the contract's stay as they were
    schemas = Client().get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert {"indicator", "year", "value"} <= set(schemas["IndicatorOut"]["properties"])
    assert "number" in schemas["PlanIndicatorOut"]["properties"]
    assert {"program", "year", "results"} <= set(schemas["RankingOut"]["properties"])
    assert "ranking" in schemas["ProgramRankingOut"]["properties"]
