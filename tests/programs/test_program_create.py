"""An administrator creates a programme from its definition through the API alone; an applicant
applies, the chain approves, and the award letter states that programme's own facts by their
labels and nothing of another's. A definition that is wrong is a 422 naming its JSON path, and
nothing is written; a code already taken is a 409."""

from __future__ import annotations

import copy

import pytest

from grants.models import Application, Program
from letters.models import LetterTemplate
from programs.models import ProgramVersion
from rules.models import RuleSetVersion
from tests.support.clients import login
from tests.support.personas import ADMIN, APPLICANT, AUDITOR, FINANCE
from tests.support.programs import (
    claim,
    insurance_definition,
    insurance_fields,
    letter_text,
    through_chain,
)


def test_a_new_programme_runs_end_to_end_and_its_letter_states_its_own_facts(
    demo, django_capture_on_commit_callbacks
):
    admin = login(ADMIN)
    created = admin.post("/programs", insurance_definition())
    assert created.status_code == 201, created.content
    assert created.json()["code"] == "ip-insurance"
    finance = login(FINANCE)
    assert (
        finance.post(
            "/budgets",
            {
                "program": "ip-insurance",
                "year": created.json()["year"],
                "amount": "100000.00",
                "source": "city",
                "reason": "年度预算",
            },
        ).status_code
        == 201
    )

    applicant = login(APPLICANT)
    app = claim(
        applicant,
        "ip-insurance",
        fields=insurance_fields(),
        cost_lines=[
            {"kind": "premium", "amount": "20000.00", "reference": "保费发票 001"},
            {"kind": "broker_fee", "amount": "3000.00", "reference": "经纪费 002"},
        ],
        attachments=["policy", "premium_invoice"],
        serial=4101,
    )
    assert (app["status"], app["level"], app["award_amount"]) == (
        "in_review",
        "district",
        "12000.00",
    )
    assert app["number"].startswith("IS-")
    through_chain(app["id"], django_capture_on_commit_callbacks)
    assert Application.objects.get(pk=app["id"]).status == "awarded"

    text = letter_text(applicant, app["id"])
    for label, value in (
        ("保险单号", "PICC-IP-2026-0088"),
        ("险种", "专利执行保险"),
        ("投保专利件数", "6"),
        ("保险费", "¥20,000.00"),
    ):
        assert f"{label}：{value}" in text or f"{label}{value}" in text, label
    assert "知识产权保险保费补贴实施细则" in text and "人民币壹万贰仟元整" in text
    assert "经纪服务费" not in text  # a cost that does not count is not a fact of the award
    # nothing of another programme's wording or facts
    for other in ("认证", "贯标", "服务券", "专利导航", "policy_number", "premium"):
        assert other not in text, other


def test_a_programme_without_its_own_template_gets_the_generic_one_stating_its_fields(
    demo, django_capture_on_commit_callbacks
):
    document = insurance_definition("ip-insurance-generic", number_prefix="IG")
    document["letters"]["templates"] = {}
    admin = login(ADMIN)
    assert admin.post("/programs", document).status_code == 201
    login(FINANCE).post(
        "/budgets",
        {
            "program": "ip-insurance-generic",
            "year": document["year"],
            "amount": "100000.00",
            "source": "city",
            "reason": "年度预算",
        },
    )
    applicant = login(APPLICANT)
    app = claim(
        applicant,
        "ip-insurance-generic",
        fields=insurance_fields(),
        cost_lines=[{"kind": "premium", "amount": "10000.00", "reference": "发票"}],
        attachments=["policy", "premium_invoice"],
        serial=4102,
    )
    through_chain(app["id"], django_capture_on_commit_callbacks)
    text = letter_text(applicant, app["id"])
    assert "保险单号：PICC-IP-2026-0088" in text and "承保机构：" in text
    assert "认证" not in text and "服务券" not in text


def test_only_administrators_create_programmes_and_finance_and_auditors_read_definitions(demo):
    for username in (APPLICANT, FINANCE, AUDITOR, "reviewer-city"):
        assert login(username).post("/programs", insurance_definition()).status_code == 403
    assert login(APPLICANT).get("/programs/cert-subsidy/definition").status_code == 403
    for username in (FINANCE, AUDITOR, ADMIN):
        response = login(username).get("/programs/cert-subsidy/definition")
        assert response.status_code == 200
        assert response.json()["rule_set"]["tables"]


def _counts() -> tuple[int, ...]:
    return (
        Program.objects.count(),
        RuleSetVersion.objects.count(),
        LetterTemplate.objects.count(),
        ProgramVersion.objects.count(),
    )


def _broken(mutate) -> dict:
    document = insurance_definition("ip-broken", number_prefix="IB")
    mutate(document)
    return document


@pytest.mark.parametrize(
    ("mutate", "path", "words"),
    [
        (lambda d: d["fields"][2].update(type="dropdown"), "fields[2].type", "choice"),
        (lambda d: d["levels"].insert(1, "province"), "levels[1]", "district"),
        (
            lambda d: d["rule_set"]["tables"][4]["rows"][1]["when"].__setitem__(
                0, "$ > fields.annual_premium"
            ),
            "rule_set.tables[4].rows[1].when[0]",
            "fields.annual_premium",
        ),
        (
            lambda d: d["letters"]["templates"].update(
                award='{% extends "letters/_document.html" %}\n{% block body %}\n{% if x %}\n{% endblock %}'
            ),
            "letters.templates.award",
            4,
        ),
        (
            lambda d: d["letters"]["templates"].update(
                award='{% extends "letters/_document.html" %}{% load static %}'
            ),
            "letters.templates.award",
            "{% load %}",
        ),
        (
            lambda d: d["letters"]["templates"].update(
                award='{% extends "letters/_document.html" %}\n{% block body %}{% include "letters/_foot.html" %}{% endblock %}'
            ),
            "letters.templates.award",
            2,
        ),
        (
            lambda d: d["letters"]["templates"].update(
                award='{% extends "letters/_document.html" %}\n\n{% block body %}{% debug %}{% endblock %}'
            ),
            "letters.templates.award",
            3,
        ),
        (
            lambda d: d["letters"]["templates"].update(
                award='{% extends "letters/_document.html" %}\n{% block body %}{{ organization.name.upper }}{{ fields.items }}{% endblock %}'
            ),
            "letters.templates.award",
            "organization.name.upper",
        ),
        (lambda d: d["fields"].append(copy.deepcopy(d["fields"][0])), "fields[5].name", ""),
        (
            lambda d: d["rule_set"]["test_cases"][0]["expect"].update(award_fen=1),
            "rule_set.test_cases[0]",
            "award_fen",
        ),
        (
            lambda d: d.update(ranking={"by": "formula", "expression": "award_fen * 2"}),
            "ranking.expression",
            "award_fen",
        ),
        (lambda d: d.update(closes=d["opens"]), "closes", ""),
    ],
)
def test_a_wrong_definition_is_422_naming_the_path_and_nothing_is_written(
    demo, mutate, path, words
):
    before = _counts()
    response = login(ADMIN).post("/programs", _broken(mutate))
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    errors = response.json()["errors"]
    matching = [e for e in errors if e["field"] == path]
    assert matching, errors
    if isinstance(words, int):  # a template's problem names its line (the message says it too)
        assert words in [e.get("line") for e in matching], matching
    else:
        assert words in " ".join(e["message"] for e in matching)
    assert _counts() == before
    assert not Program.objects.filter(code="ip-broken").exists()


def test_a_code_already_taken_is_409_and_not_json_is_400(demo):
    admin = login(ADMIN)
    taken = insurance_definition("cert-subsidy")
    before = _counts()
    response = admin.post("/programs", taken)
    assert response.status_code == 409, response.content
    assert response.json()["type"] == "urn:fundflow:problem:code-taken"
    assert _counts() == before
    assert admin.post_raw("/programs", "{not json").status_code == 400


def test_the_schema_is_published_with_the_api_docs(demo):
    schema = login(APPLICANT).get("/program-schema").json()
    assert schema["properties"]["schema"] == {"const": "fundflow.program/1"}
    openapi = login(APPLICANT).get("/openapi.json").json()
    assert "ProgramDefinition" in openapi["components"]["schemas"]
    body = openapi["paths"]["/api/v1/programs"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["$ref"].endswith("/ProgramDefinition")
