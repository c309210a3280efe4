"""The rule sets shipped as data (rules/data/*.json) load as the engine expects them."""

import pytest

from grants.models import Program
from rules import library
from rules.compiler import validate
from rules.facts import facts_schema
from rules.models import RuleSetVersion


def test_test_cases_name_dates_in_the_programme_year():
    [first, *_] = library.test_cases("cert-subsidy", year=2031)
    assert first["facts"]["submitted_on"] == "2031-03-01"
    assert first["facts"]["fields"]["valid_until"] == "2034-01-09"
    navigation = library.test_cases("navigation", year=2031)
    assert {c["facts"]["submitted_on"] for c in navigation} == {"2031-03-01", "2030-12-31"}


def test_each_call_returns_a_fresh_copy():
    content = library.rule_set("cert-subsidy")
    content["tables"].clear()
    assert library.rule_set("cert-subsidy")["tables"]


def test_an_unknown_rule_set_is_refused():
    with pytest.raises(LookupError):
        library.rule_set("../settings")


@pytest.mark.parametrize("code", ["cert-subsidy", "service-voucher", "navigation"])
def test_the_seeded_version_is_the_shipped_data(demo, code):
    program = Program.objects.get(code=code)
    version = RuleSetVersion.objects.get(program=program, number=1)
    assert version.state == "active"
    assert version.content == library.rule_set(code)
    assert version.test_cases == library.test_cases(code, year=program.year)
    assert [e.cell for e in validate(version.content, facts_schema(program))] == []
