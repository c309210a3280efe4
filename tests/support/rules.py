"""Rule tests: the seeded cert-subsidy rule set and its test cases, sample facts with overrides."""

from __future__ import annotations

from grants.models import Program
from rules import library
from rules.services import deep_merge, sample_facts


def cert_rule_set() -> dict:
    """The seeded cert-subsidy rule set (rules/data/cert-subsidy.json), a fresh copy."""
    return library.rule_set("cert-subsidy")


def cert_test_cases(year: int) -> list[dict]:
    return library.test_cases("cert-subsidy", year=year)


def full_facts(**overrides) -> dict:
    program = Program.objects.get(code="cert-subsidy")
    base = sample_facts(program)
    base["fields"] = {
        "standard": "GB/T 29490",
        "certificate_number": "C-1",
        "certification_body": "中知（北京）认证有限公司",
        "certified_on": f"{program.year}-01-10",
        "valid_until": f"{program.year + 3}-01-09",
    }
    base["submitted_on"] = f"{program.year}-03-01"
    return deep_merge(base, overrides)
