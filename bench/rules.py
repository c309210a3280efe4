"""rules.evals_per_s: full rule-set evaluations per second with trace, against the same rules in Python.

Both judge the same facts (the seeded cert-subsidy rule set: nine tables) and
produce the same verdicts and award; the Python baseline formats its reasons
the same way but has no trace, no validation and no data-driven tables.
"""

from __future__ import annotations

import datetime as dt
import time

from django.utils import timezone

from bench.common import Figure
from demo.seed import seed_demo
from rules import library
from rules.engine import evaluate, yuan
from tests.support.rules import full_facts


def _facts() -> dict:
    """The rule tests' complete claim (tests.support.rules.full_facts): 35,000 counted,
    8,000 excluded, over a 30,000 cap."""
    return full_facts(
        cost={"counted_fen": 3_500_000, "excluded_fen": 800_000, "total_fen": 4_300_000},
        program={"cap_fen": 3_000_000},
    )


def python_rules(f: dict) -> tuple[list[tuple[str, bool | None, str]], int | None]:
    """The seeded cert-subsidy rules, hand-written."""
    out = []
    city = f["organization"]["city"]
    out.append(
        (
            "district_in_city",
            city == "650100",
            f"单位注册地（区划代码 {f['organization']['district']}）属于乌鲁木齐市",
        )
    )
    on = dt.date.fromisoformat(f["submitted_on"])
    opens, closes = (
        dt.date.fromisoformat(f["program"]["opens"]),
        dt.date.fromisoformat(f["program"]["closes"]),
    )
    out.append(
        ("submitted_in_window", opens <= on <= closes, f"提交日期 {f['submitted_on']} 在申报期内")
    )
    out.append(
        (
            "organization_kind",
            f["organization"]["kind"] in f["program"]["allowed_org_kinds"],
            "单位类型",
        )
    )
    missing = f["required"]["missing_fields"] + f["required"]["missing_attachments"]
    out.append(("required_documents", not missing, "必填项和必备附件齐全"))
    body = f["fields"]["certification_body"]
    out.append(
        (
            "certification_body_accredited",
            f["certification_body"]["accredited"] if body else None,
            f"认证机构“{body}”",
        )
    )
    issued = dt.date.fromisoformat(f["fields"]["certified_on"])
    until = dt.date.fromisoformat(f["fields"]["valid_until"])
    out.append(
        ("certificate_valid", issued <= on <= until, f"有效期至 {f['fields']['valid_until']}")
    )
    out.append(
        ("certificate_not_claimed", f["history"]["same_certificate"]["count"] == 0, "证书未曾申报")
    )
    counted, cap = f["cost"]["counted_fen"], f["program"]["cap_fen"]
    award = None if counted <= 0 else (counted if cap is None else min(counted, cap))
    out.append(
        (
            "award_amount",
            award is not None,
            f"认证费 {yuan(counted)} 超过上限 {yuan(cap)}，按上限核定；其他费用 {yuan(f['cost']['excluded_fen'])} 不计入",
        )
    )
    out.append(("budget_available", award is None or award <= f["budget"]["available_fen"], "预算"))
    return out, award


def _rate(fn, seconds: float = 2.0) -> float:
    for _ in range(50):
        fn()
    count = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(50):
            fn()
        count += 50
    return count / (time.perf_counter() - start)


def run(quick: bool = False) -> list[Figure]:
    seconds = 0.2 if quick else 2.0
    seed_demo(timezone.localdate().year)
    content = library.rule_set("cert-subsidy")
    facts = _facts()
    engine = evaluate(content, facts)
    python_verdicts, python_award = python_rules(facts)
    assert engine.award_fen == python_award == 3_000_000
    assert [(v.rule, v.passed) for v in engine.verdicts] == [(r, p) for r, p, _ in python_verdicts]
    engine_rate = _rate(lambda: evaluate(content, facts, sha="bench", trace=True), seconds)
    python_rate = _rate(lambda: python_rules(facts), seconds)
    return [
        Figure(
            "rules.evals_per_s",
            engine_rate,
            "evals/s",
            python_rate,
            "full cert-subsidy rule set (9 decision tables) with trace and bilingual reasons, zen-engine, one "
            "process; baseline: the same rules hand-written in Python; target >= 5000/s",
        ),
    ]
