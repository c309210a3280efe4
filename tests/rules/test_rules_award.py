"""The award is a rule output: min(certification fees, cap), other fees never count, to the fen."""

import pytest

from rules.engine import evaluate
from tests.support.rules import cert_rule_set


def facts(counted: int, excluded: int = 0, cap: int | None = 3_000_000) -> dict:
    from tests.support.rules import full_facts

    return full_facts(
        cost={"counted_fen": counted, "excluded_fen": excluded, "total_fen": counted + excluded},
        program={"cap_fen": cap},
    )


@pytest.mark.parametrize(
    ("counted", "excluded", "award"),
    [
        (3_000_000, 0, 3_000_000),  # at the cap
        (2_999_999, 0, 2_999_999),  # one fen below
        (3_000_001, 0, 3_000_000),  # one fen above
        (3_500_000, 800_000, 3_000_000),  # mixed: consulting never counts, cap applies
        (1_234_567, 999_999, 1_234_567),  # mixed under the cap, exact to the fen
        (0, 900_000, None),  # only consulting fees
    ],
)
def test_award_formula(demo, counted, excluded, award):
    outcome = evaluate(cert_rule_set(), facts(counted, excluded))
    assert outcome.award_fen == award
    verdict = next(v for v in outcome.verdicts if v.rule == "award_amount")
    assert verdict.passed is (award is not None)


def test_reason_names_the_values_in_both_languages(demo):
    outcome = evaluate(cert_rule_set(), facts(3_500_000, 800_000))
    verdict = next(v for v in outcome.verdicts if v.rule == "award_amount")
    assert (
        verdict.reason_zh
        == "认证费 ¥35,000.00 超过上限 ¥30,000.00，按上限核定；其他费用 ¥8,000.00 不计入"
    )
    assert verdict.reason_en.startswith("Certification fee ¥35,000.00 exceeds the cap ¥30,000.00")
    assert verdict.looked_at == {"cost.counted_fen": 3_500_000, "program.cap_fen": 3_000_000}
    assert outcome.trace["award_amount"]["row"] == 2


def test_no_cap_means_the_whole_fee(demo):
    assert evaluate(cert_rule_set(), facts(9_999_999, cap=None)).award_fen == 9_999_999


def test_unmatched_facts_ask_for_manual_review_never_a_silent_fail(demo):
    outcome = evaluate(
        cert_rule_set(),
        facts(100_000) | {"organization": {**facts(1)["organization"], "city": None}},
    )
    verdict = next(v for v in outcome.verdicts if v.rule == "district_in_city")
    assert (verdict.passed, verdict.severity) == (None, "manual")
    assert "人工审核" in verdict.reason_zh and "manual review" in verdict.reason_en


def test_reasons_print_organisation_kinds_by_name_not_code(demo):
    outcome = evaluate(cert_rule_set(), facts(100_000))
    verdict = next(v for v in outcome.verdicts if v.rule == "organization_kind")
    assert "enterprise" not in verdict.reason_zh and "research_institute" not in verdict.reason_zh
    assert verdict.reason_zh.startswith("单位类型 企业 属于本项目支持范围（企业、")
    assert verdict.reason_en.startswith("Organisation kind Enterprise is eligible (Enterprise, ")
