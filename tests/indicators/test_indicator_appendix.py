"""The twelve indicators are the appendix's, word for word (issue 21, first "Done when").

The appendix as data is ``../shared/domain/appendix.tsv`` beside the repository; a clone
without it (CI) reads the copy kept in the repository, ``indicators/data/appendix.tsv``
(copied from it on 2026-11-29), and where both exist the copy must be the original.
"""

from __future__ import annotations

import csv
import re
from decimal import Decimal
from pathlib import Path

from indicators.models import CUMULATIVE, IN_YEAR, Indicator
from tests.support.clients import web

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "domain" / "appendix.tsv"
COPY = REPO / "indicators" / "data" / "appendix.tsv"


def appendix() -> list[dict[str, str]]:
    path = SHARED if SHARED.exists() else COPY
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def test_the_copy_in_the_repository_is_the_appendix():
    if SHARED.exists():
        assert COPY.read_bytes() == SHARED.read_bytes()
    assert len(appendix()) == 12


def test_every_indicator_as_the_appendix_states_it(demo):
    indicators = {i.number: i for i in Indicator.objects.all()}
    assert sorted(indicators) == list(range(1, 13))
    for row in appendix():
        ind = indicators[int(row["序号"])]
        assert ind.name == row["指标名称"]
        assert ind.requirement == row["要求"]
        assert ind.target_text == row["目标值"]
        # the unit: what follows the figure of the 2023 target (家, %, 单, 个)
        assert ind.unit == re.sub(r"^[≥\d.]+", "", row["2023目标值"])
        for year in (2021, 2022, 2023):
            text = row[f"{year}目标值"]
            target = ind.target(year)
            assert target["text"] == text
            figure = re.search(r"\d+(\.\d+)?", text)
            assert target["value"] == (Decimal(figure.group(0)) if figure else None)
            assert target["scope"] in (IN_YEAR, CUMULATIVE)


def test_each_target_says_whether_it_is_the_years_own_or_a_running_total(demo):
    def scopes(number):
        ind = Indicator.objects.get(number=number)
        return [ind.target(y)["scope"] for y in (2021, 2022, 2023)]

    # 托管: 300 and 300 in their years, then 1,000 累计; 贯标: 30, 70, 200 running totals
    assert scopes(9) == [IN_YEAR, IN_YEAR, CUMULATIVE]
    assert scopes(8) == [CUMULATIVE, CUMULATIVE, CUMULATIVE]
    assert scopes(6) == [CUMULATIVE, CUMULATIVE, CUMULATIVE]
    assert scopes(1) == [IN_YEAR, IN_YEAR, CUMULATIVE]


def test_the_dashboard_shows_the_appendix_words(demo):
    page = web("reviewer-city").get("/dashboard/", {"year": 2022}).content.decode()
    for row in appendix():
        assert row["指标名称"] in page
        for year in (2021, 2022, 2023):
            if row[f"{year}目标值"]:
                assert row[f"{year}目标值"] in page
    assert "年均增幅40%" in page and "1000家" in page and "1单" in page
    assert "累计" in page or "running total" in page
