"""The rule sets compiled to Python give zen-engine's answers: for every shipped rule set,
its test cases, and each test case with one fact changed to null, another type or
another value. Where zen would fail, the Python evaluation defers to zen (never a
different answer)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from grants.models import Program
from rules import library
from rules.engine import content_sha256, decision_for, evaluate
from rules.pyeval import CompiledRuleSet, Defer, Unsupported, compiled_for, unary_source
from rules.services import deep_merge, sample_facts

SHIPPED = {
    "cert-subsidy": "cert-subsidy",
    "service-voucher": "service-voucher",
    "navigation": "navigation",
}


def _leaves(value: Any, path: tuple = ()) -> list[tuple]:
    if isinstance(value, dict):
        return [leaf for key, item in value.items() for leaf in _leaves(item, (*path, key))]
    return [path]


def _set(facts: dict, path: tuple, value: Any) -> dict:
    changed = copy.deepcopy(facts)
    target = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return changed


def _variations(facts: dict) -> list[dict]:
    out = [facts]
    for path in _leaves(facts):
        for value in (None, "x", 0, -1, True, ["enterprise"], "1999-01-01"):
            out.append(_set(facts, path, value))
    return out


def _zen(content: dict, facts: dict) -> dict | None:
    try:
        return decision_for(content, content_sha256(content)).evaluate(
            facts, {"trace": True, "max_depth": 10}
        )
    except Exception:
        return None


def _same(python: dict, zen: dict) -> None:
    assert python["result"]["checks"] == {
        name: {"row": int(got["row"]), "passed": got["passed"]}
        for name, got in zen["result"]["checks"].items()
    }
    for key in set(python["result"]) - {"checks"}:
        assert python["result"][key] == zen["result"].get(key), key
    zen_looked = {
        node["name"]: (node.get("traceData") or {}).get("reference_map")
        for node in zen["trace"].values()
        if node.get("name") not in ("facts", "result")
    }
    for name, node in python["trace"].items():
        assert node["traceData"]["reference_map"] == zen_looked[name], name


@pytest.mark.parametrize("program_code", sorted(SHIPPED))
def test_python_and_zen_agree_on_every_shipped_rule_set(demo, program_code):
    program = Program.objects.get(code=program_code)
    content = library.rule_set(SHIPPED[program_code])
    compiled = CompiledRuleSet(content)  # every shipped cell is in the compiled subset
    base = sample_facts(program)
    cases = library.test_cases(SHIPPED[program_code], year=program.year)
    compared = deferred = 0
    for case in cases:
        for facts in _variations(deep_merge(base, case["facts"])):
            zen = _zen(content, facts)
            try:
                python = compiled.evaluate(json.loads(json.dumps(facts)), trace=True)
            except Defer:
                deferred += 1
                continue
            assert zen is not None, ("zen fails where Python answered", facts)
            _same(python, zen)
            compared += 1
    assert compared > 100, compared  # the variations really exercise both


def test_voucher_issue_rules_agree_too():
    content = library.voucher_issue_rule_set()
    compiled = CompiledRuleSet(content)
    base = {
        "organization": {
            "kind": "enterprise",
            "is_sme": True,
            "district": "650102",
            "city": "650100",
        }
    }
    for facts in _variations(base):
        zen = _zen(content, facts)
        try:
            python = compiled.evaluate(facts, trace=True)
        except Defer:
            continue
        assert zen is not None, facts
        _same(python, zen)


def test_a_cell_outside_the_subset_leaves_the_rule_set_to_zen():
    with pytest.raises(Unsupported):
        unary_source("[1..10]", "d")
    content = library.rule_set("cert-subsidy")
    content["tables"][0]["rows"][0]["when"] = ["some(['650100'], # == $)"]
    assert compiled_for(content, "test-unsupported") is None
    outcome = evaluate(content, {"organization": {"city": "650100"}}, sha="test-unsupported")
    assert outcome.verdicts  # zen answered (manual review where facts are missing)
