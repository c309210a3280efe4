"""The figures beside the targets: in the year and cumulative, computed from the records,
moving when the records change, never falling from one year to the next (issue 21)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from agencies.models import Redemption
from grants.models import ProgramKind, Status, User
from indicators.models import Indicator
from indicators.report import indicator_row, indicator_rows
from indicators.services import indicator_actual_record
from tests.support import indicators as make
from tests.support.clients import web
from tests.support.vouchers import demo_agency_id, issue, redeem, register_smes

YEARS = (2021, 2022, 2023)


def row(number: int, year: int) -> dict:
    return indicator_row(Indicator.objects.get(number=number), year)


def custody(as_user, year: int, count: int, *, start: int, service: str = "custody") -> list:
    """``count`` SMEs whose voucher is redeemed for ``service`` under a contract of ``year``."""
    admin, sme = as_user("admin"), as_user("applicant")
    agency_id = demo_agency_id(sme)
    orgs = register_smes(count, start=start)
    for org in orgs:
        voucher = issue(admin, org)
        assert redeem(sme, voucher["id"], agency_id, service=service).status_code == 201
        Redemption.objects.filter(voucher_id=voucher["id"]).update(
            contract_date=dt.date(year, 5, 1)
        )
    return orgs


@pytest.fixture
def plan_years(demo, as_user):
    """Demo data spanning the plan's years: each computed indicator's records in 2021–2023."""
    adopter = make.organization()
    for i, year in enumerate(YEARS):
        adoption = make.program("sme-patent-adoption", year)
        make.application(adoption)
        make.application(adoption, adopter)  # the same SME every year: counted once in total
        make.application(adoption, status=Status.IN_REVIEW)  # not counted
        pledge = make.program("ip-pledge-interest", year)
        for amount in ("1000000.00", "500000.00")[: 1 + (i > 0)]:
            make.loan(pledge, amount)
        make.application(make.program("trademark-brand-cultivation", year))
        cert = make.program("cert-test", year, ProgramKind.CERTIFICATION)
        for _ in range(i + 1):
            make.application(cert)
        make.navigation_project(year)
        make.agency(year)
        custody(as_user, year, 2, start=3000 + 10 * i)


COMPUTED = (1, 4, 6, 7, 8, 9, 12)
COUNTS = (1, 5, 6, 7, 8, 9, 10, 11, 12)


def test_no_cumulative_figure_falls_from_one_year_to_the_next(plan_years):
    by_year = {y: {r["number"]: r for r in indicator_rows(y)} for y in (2020, *YEARS, 2024)}
    for number in COMPUTED:
        assert by_year[2023][number]["computed"], number
    for number in COUNTS:
        values = [by_year[y][number]["cumulative"] for y in (2020, *YEARS, 2024)]
        values = [v for v in values if v is not None]
        assert values == sorted(values), (number, values)
    # #4's measures (amount, number of loans) are running totals too
    for key in ("amount", "count"):
        values = [
            next(m for m in by_year[y][4]["measures"] if m.key == key).cumulative
            for y in (2020, *YEARS, 2024)
        ]
        assert values == sorted(values), (key, values)
    # the same SME in three years: three in-year figures of 2, one fewer in total than 6
    assert [by_year[y][1]["in_year"] for y in YEARS] == [2, 2, 2]
    assert by_year[2023][1]["cumulative"] == 4
    assert by_year[2022][8]["cumulative"] == 3 and by_year[2023][8]["cumulative"] == 6


def test_sme_adoption_moves_with_awards(plan_years):
    prog = make.program("sme-patent-adoption", 2022)
    before = row(1, 2022)
    app = make.application(prog, status=Status.IN_REVIEW)
    assert row(1, 2022)["in_year"] == before["in_year"]
    app.status = Status.APPROVED
    app.save()
    after = row(1, 2022)
    assert after["in_year"] == before["in_year"] + 1
    assert after["cumulative"] == before["cumulative"] + 1
    assert row(1, 2023)["cumulative"] == row(1, 2022)["cumulative"] + 1  # 2023 adds one new SME


def test_pledge_financing_shows_amount_and_number_of_loans_and_moves(plan_years):
    def measures(year):
        return {m.key: m for m in row(4, year)["measures"]}

    m = measures(2022)
    assert (m["amount"].in_year, m["count"].in_year) == (Decimal("1500000.00"), 2)
    assert (m["amount"].cumulative, m["count"].cumulative) == (Decimal("2500000.00"), 3)
    make.loan(make.program("ip-pledge-interest", 2022), "250000.00")
    m = measures(2022)
    assert (m["amount"].in_year, m["count"].in_year) == (Decimal("1750000.00"), 3)
    assert (m["amount"].cumulative, m["count"].cumulative) == (Decimal("2750000.00"), 4)
    # growth over 2021 (¥1,000,000, one loan): amount +75%, loans +200%; the row the lower
    assert m["amount"].growth_in_year == Decimal("75.0")
    assert m["count"].growth_in_year == Decimal("200.0")
    assert row(4, 2022)["in_year"] == Decimal("75.0")


def test_growth_is_computed_against_the_base_year(plan_years):
    admin = User.objects.get(username="admin")
    pledge = Indicator.objects.get(number=4)
    assert row(4, 2022)["cumulative"] is None  # no 2020 figure: no average growth yet
    indicator_actual_record(
        actor=admin,
        indicator=pledge,
        year=2020,
        measure="amount",
        value=Decimal("500000.00"),
        source_note="人民银行乌鲁木齐中心支行 2020 年统计",
    )
    indicator_actual_record(
        actor=admin,
        indicator=pledge,
        year=2020,
        measure="count",
        value=Decimal(1),
        source_note="人民银行乌鲁木齐中心支行 2020 年统计",
    )
    m = {x.key: x for x in row(4, 2022)["measures"]}
    # 2020 → 2022: amount ×3 → (3)^(1/2) − 1 = 73.2%; loans ×2 → 41.4% a year
    assert m["amount"].growth_average == Decimal("73.2")
    assert m["count"].growth_average == Decimal("41.4")
    r = row(4, 2022)
    assert r["cumulative"] == Decimal("41.4") and r["met"]  # ≥30%: the lower of the two
    assert "2020" in r["how_cumulative"]
    # an entered growth row: the yearly amounts in, the rate computed
    contracts = Indicator.objects.get(number=2)
    for year, value in ((2020, "1000"), (2021, "1500"), (2022, "2000")):
        indicator_actual_record(
            actor=admin,
            indicator=contracts,
            year=year,
            value=Decimal(value),
            source_note="市科技局技术合同登记",
        )
    r = row(2, 2022)
    assert r["cumulative"] == Decimal("41.4") and r["in_year"] == Decimal("33.3")
    assert r["met"] is True and r["target"] == Decimal(40)


def test_navigation_projects_count_while_carried_out(plan_years):
    before = row(6, 2022)
    assert before["cumulative"] == 2 and before["target"] == 2 and before["met"]
    make.navigation_project(2022, stage="scored")  # not yet carried out
    assert row(6, 2022)["cumulative"] == 2
    make.navigation_project(2022, stage="accepted")
    assert row(6, 2022)["cumulative"] == 3 and row(6, 2022)["in_year"] == 2


def test_trademark_brands_move(plan_years):
    assert row(7, 2023)["cumulative"] == 3 and row(7, 2023)["met"]
    make.application(make.program("trademark-brand-cultivation", 2023))
    assert row(7, 2023)["in_year"] == 2 and row(7, 2023)["cumulative"] == 4


def test_certified_organisations_move(plan_years):
    before = row(8, 2023)["cumulative"]
    app = make.application(make.program("cert-test", 2023, ProgramKind.CERTIFICATION))
    assert row(8, 2023)["cumulative"] == before + 1
    app.status = Status.REJECTED
    app.save()
    assert row(8, 2023)["cumulative"] == before


def test_custody_counts_the_whole_bundle_and_moves(plan_years, as_user):
    assert row(9, 2022)["in_year"] == 2 and row(9, 2022)["cumulative"] == 4
    custody(as_user, 2022, 1, start=3500, service="patent_filing")  # part of 托管
    custody(as_user, 2022, 1, start=3600, service="valuation")  # not part of it
    assert row(9, 2022)["in_year"] == 3 and row(9, 2022)["cumulative"] == 5
    assert (
        row(9, 2022)["target_scope"] == "in_year" and row(9, 2023)["target_scope"] == "cumulative"
    )


def test_supported_agencies_move(plan_years):
    assert row(12, 2021)["in_year"] == 1 and row(12, 2023)["cumulative"] == 3
    make.agency(2023, month=9)
    assert row(12, 2023)["in_year"] == 2 and row(12, 2023)["cumulative"] == 4


def test_years_after_the_plan_are_held_against_its_last_target(plan_years):
    r = row(8, 2025)
    assert r["target_year"] == 2023 and r["target"] == Decimal(200)
    assert "2023" in r["target_note"]
    page = web("reviewer-city").get("/dashboard/", {"year": 2025}).content.decode()
    assert r["target_note"] in page or "2023年目标" in page
    assert row(8, 2022)["target_note"] == ""
