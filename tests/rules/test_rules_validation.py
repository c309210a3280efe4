"""The engine's pitfalls are refused when a rule set is saved, each message naming the cell."""

import copy

import pytest
from django.utils import translation

from grants.models import Program
from rules.compiler import validate, validate_graph
from rules.facts import facts_schema
from rules.models import RuleSetVersion
from rules.services import ruleset_activate, ruleset_run_tests
from tests.support.rules import cert_rule_set, cert_test_cases


@pytest.fixture
def program(demo):
    return Program.objects.get(code="cert-subsidy")


def errors_of(content, program):
    return {e.cell: e.message for e in validate(content, facts_schema(program))}


def test_seeded_rule_set_is_valid(program):
    assert errors_of(cert_rule_set(), program) == {}


def test_misspelt_field_in_an_input_column_is_refused(program):
    content = cert_rule_set()
    content["tables"][6]["inputs"] = ["history.same_certficate.count"]
    assert errors_of(content, program) == {
        "tables[6].inputs[0]": "unknown field “history.same_certficate.count”"
    }


def test_misspelt_field_inside_a_cell_is_refused(program):
    content = cert_rule_set()
    content["tables"][7]["rows"][2]["when"][0] = "> program.cap_fn"
    assert errors_of(content, program) == {
        "tables[7].rows[2].when[0]": "unknown field “program.cap_fn”"
    }


def test_misspelt_field_in_a_reason_is_refused(program):
    content = cert_rule_set()
    content["tables"][0]["rows"][0]["reason_zh"] = "单位注册地 {organisation.district}"
    assert "tables[0].rows[0].reason_zh" in errors_of(content, program)


def test_bad_expression_is_refused_naming_the_cell(program):
    content = cert_rule_set()
    content["tables"][7]["rows"][2]["set"]["award_fen"] = "min([cost.counted_fen, program.cap_fen]"
    errors = errors_of(content, program)
    assert list(errors) == ["tables[7].rows[2].set.award_fen"]
    assert errors["tables[7].rows[2].set.award_fen"].startswith("syntax error")


def test_bad_unary_condition_is_refused(program):
    content = cert_rule_set()
    content["tables"][2]["rows"][0]["when"][0] = "$ in ("
    assert list(errors_of(content, program)) == ["tables[2].rows[0].when[0]"]


def test_function_node_is_refused(program):
    content = cert_rule_set()
    content["tables"][0]["type"] = "functionNode"
    assert "tables[0].type" in errors_of(content, program)
    graph = {
        "nodes": [{"id": "f", "type": "functionNode", "content": "export const handler = () => {}"}]
    }
    assert [e.cell for e in validate_graph(graph)] == ["graph.nodes[0]"]
    assert "graph.nodes[0]" in errors_of({**cert_rule_set(), "graph": graph}, program)


def test_a_table_without_a_manual_review_fallback_is_refused(program):
    content = cert_rule_set()
    del content["tables"][1]["fallback"]
    assert "tables[1].fallback" in errors_of(content, program)


def test_huge_range_is_refused_statically(program):
    content = cert_rule_set()
    content["tables"][7]["rows"][2]["set"]["award_fen"] = "len(map([0..100000000], #))"
    assert "range" in errors_of(content, program)["tables[7].rows[2].set.award_fen"]


def test_runaway_expression_is_stopped_by_the_time_limit(program):
    content = cert_rule_set()
    # within the static bounds, but 10,000 × 10,000 evaluations
    content["tables"][7]["rows"][3]["set"]["award_fen"] = (
        "len(flatMap([0..10000], map([0..10000], #)))"
    )
    assert errors_of(content, program) == {}
    draft = RuleSetVersion(
        program=program, number=99, content=content, test_cases=cert_test_cases(2026)
    )
    with translation.override("en"):
        result = ruleset_run_tests(draft, timeout=1.5)
    assert result["passed"] is False and "runs away" in result["error"]


def test_a_version_with_failing_test_cases_cannot_be_activated(program, django_user_model):
    content = cert_rule_set()
    content["tables"][7]["rows"][2]["set"]["award_fen"] = "cost.counted_fen"  # forgets the cap
    cases = cert_test_cases(2026)
    draft = RuleSetVersion.objects.create(
        program=program, number=2, content=content, test_cases=cases
    )
    from grants.errors import InvalidInput

    with pytest.raises(InvalidInput) as caught:
        ruleset_activate(version=draft, actor=django_user_model.objects.get(username="admin"))
    assert "over the cap by one fen" in caught.value.errors[0]["message"]
    draft.refresh_from_db()
    assert draft.state == "draft" and draft.last_validation["ok"] is False


def test_a_version_with_cell_errors_cannot_be_activated(program, django_user_model):
    content = copy.deepcopy(cert_rule_set())
    content["tables"][0]["inputs"] = ["organization.cty"]
    draft = RuleSetVersion.objects.create(
        program=program, number=2, content=content, test_cases=cert_test_cases(2026)
    )
    from grants.errors import InvalidInput

    with pytest.raises(InvalidInput) as caught:
        ruleset_activate(version=draft, actor=django_user_model.objects.get(username="admin"))
    assert caught.value.errors[0]["field"] == "tables[0].inputs[0]"
