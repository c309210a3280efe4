"""Helpers for programme-definition tests: a complete definition of a new programme (an IP
insurance premium subsidy, defined here and nowhere else), and a claim to any programme through
the API, from the organisation to the award letter."""

from __future__ import annotations

import copy
from typing import Any

from django.utils import timezone

from rules import library
from tests.support.claims import decide, register_org
from tests.support.clients import Api, login
from tests.support.documents import PDF

CHAIN = ("reviewer-tianshan", "reviewer-city", "reviewer-region")

AWARD_TEMPLATE = """{% extends "letters/_document.html" %}
{% block body %}
<p>你单位申报的“{{ program.name }}”（申请编号：{{ application.number }}）经审核，符合《{{ regulation }}》规定的保费补贴条件。</p>
<h2>一、决定事项</h2>
<p>给予你单位知识产权保险保费补贴{{ amount_capitals }}（¥{{ amount_figures }}）。</p>
<h2>二、决定依据</h2>
<p>{% for f in facts %}{{ f.label }}：{{ f.value }}；{% endfor %}{% for a in amounts %}{{ a.label }}{{ a.value }}。{% endfor %}</p>
<p>特此通知。</p>
{% endblock %}
"""


def common_tables() -> list[dict[str, Any]]:
    """The tables every claim is judged by: place, window, organisation kind, complete file."""
    return copy.deepcopy(library.rule_set("cert-subsidy")["tables"][0:4])


def award_table(rate: str = "0.6") -> dict[str, Any]:
    return {
        "name": "award_amount",
        "label_zh": "核定补贴金额",
        "label_en": "Award amount",
        "severity": "block",
        "inputs": ["cost.counted_fen", "program.cap_fen"],
        "rows": [
            {
                "when": ["<= 0", ""],
                "passed": False,
                "reason_zh": "没有可计入补贴的保费",
                "reason_en": "No premium counts toward the award",
            },
            {
                "when": [f"$ * {rate} > program.cap_fen", ""],
                "passed": True,
                "set": {"award_fen": "program.cap_fen"},
                "reason_zh": "保费 {cost.counted_fen} 的补贴超过上限 {program.cap_fen}，按上限核定",
                "reason_en": "The subsidy of the premium {cost.counted_fen} exceeds the cap",
            },
            {
                "when": ["> 0", ""],
                "passed": True,
                "set": {"award_fen": f"cost.counted_fen * {rate}"},
                "reason_zh": "按保费 {cost.counted_fen} 核定补贴 {award_fen}",
                "reason_en": "Award {award_fen} from the premium {cost.counted_fen}",
            },
        ],
        "fallback": {
            "reason_zh": "无法自动判断补贴金额，需人工审核",
            "reason_en": "Could not decide the award automatically: needs manual review",
        },
    }


def insurance_definition(code: str = "ip-insurance", **overrides: Any) -> dict[str, Any]:
    """A new programme, as an administrator would write it: an IP insurance premium subsidy."""
    year = timezone.localdate().year
    document = {
        "schema": "fundflow.program/1",
        "code": code,
        "name": "知识产权保险保费补贴",
        "name_en": "IP insurance premium subsidy",
        "description": "对投保知识产权保险的企业按保费的 60% 给予补贴。",
        "kind": "general",
        "year": year,
        "number_prefix": "IS",
        "levels": ["district", "city", "region"],
        "level_deadline_days": {"district": 10, "city": 10, "region": 15},
        "cap": "50000.00",
        "opens": f"{year}-01-01T00:00:00+06:00",
        "closes": f"{year}-12-31T23:59:59+06:00",
        "allowed_org_kinds": ["enterprise"],
        "budget_policy": "refuse",
        "is_active": True,
        "fields": [
            {
                "name": "policy_number",
                "type": "text",
                "label": "保险单号",
                "label_en": "Policy number",
                "required": True,
                "choices": [],
                "help": "",
                "help_en": "",
            },
            {
                "name": "insurer",
                "type": "text",
                "label": "承保机构",
                "label_en": "Insurer",
                "required": True,
                "choices": [],
                "help": "",
                "help_en": "",
            },
            {
                "name": "insurance_kind",
                "type": "choice",
                "label": "险种",
                "label_en": "Kind of insurance",
                "required": True,
                "choices": ["专利执行保险", "侵犯专利权责任保险"],
                "help": "",
                "help_en": "",
            },
            {
                "name": "insured_patents",
                "type": "integer",
                "label": "投保专利件数",
                "label_en": "Patents insured",
                "required": False,
                "choices": [],
                "help": "",
                "help_en": "",
            },
            {
                "name": "policy_start",
                "type": "date",
                "label": "保险起期",
                "label_en": "Policy start",
                "required": True,
                "choices": [],
                "help": "",
                "help_en": "",
            },
        ],
        "cost_line_kinds": [
            {
                "code": "premium",
                "label": "保险费",
                "label_en": "Premium",
                "counts_toward_award": True,
            },
            {
                "code": "broker_fee",
                "label": "经纪服务费",
                "label_en": "Broker fee",
                "counts_toward_award": False,
            },
        ],
        "attachment_kinds": [
            {"code": "policy", "label": "保险单", "label_en": "Policy", "required": True},
            {
                "code": "premium_invoice",
                "label": "保费发票",
                "label_en": "Premium invoice",
                "required": True,
            },
        ],
        "rule_set": {
            "tables": [*common_tables(), award_table()],
            "test_cases": [
                {
                    "name": "premium 20,000: 60% is 12,000",
                    "facts": {
                        "submitted_on": f"{year}-03-01",
                        "cost": {"counted_fen": 2000000, "excluded_fen": 0, "total_fen": 2000000},
                    },
                    "expect": {"checks": {"award_amount": True}, "award_fen": 1200000},
                },
                {
                    "name": "premium 100,000: capped",
                    "facts": {
                        "submitted_on": f"{year}-03-01",
                        "cost": {
                            "counted_fen": 10000000,
                            "excluded_fen": 0,
                            "total_fen": 10000000,
                        },
                    },
                    "expect": {"checks": {"award_amount": True}, "award_fen": 5000000},
                },
            ],
        },
        "letters": {
            "regulation": "乌鲁木齐市知识产权保险保费补贴实施细则",
            "issuer_level": "city",
            "reconsideration_body": "",
            "reconsideration_days": 60,
            "litigation_months": 6,
            "copy_to": "",
            "templates": {"award": AWARD_TEMPLATE},
        },
        "steps": {"expert_review": None, "public_notice": None, "milestones": None},
        "ranking": {},
        "indicators": [],
        "kind_settings": None,
    }
    document.update(overrides)
    return document


def insurance_fields() -> dict[str, Any]:
    return {
        "policy_number": "PICC-IP-2026-0088",
        "insurer": "中国人民财产保险股份有限公司乌鲁木齐市分公司",
        "insurance_kind": "专利执行保险",
        "insured_patents": 6,
        "policy_start": timezone.localdate().replace(day=1).isoformat(),
    }


def claim(
    api: Api,
    program: str,
    *,
    fields: dict[str, Any],
    cost_lines: list[dict[str, str]],
    attachments: list[str],
    serial: int,
    kind: str = "enterprise",
    name: str | None = None,
    submit: bool = True,
) -> dict[str, Any]:
    """An organisation registered by ``api``'s user files a claim to ``program`` (attachments
    uploaded; submitted unless told otherwise)."""
    org = register_org(api, serial=serial, kind=kind, name=name or f"申报单位{serial}")
    response = api.post(
        "/applications",
        {"program": program, "organization": org, "fields": fields, "cost_lines": cost_lines},
    )
    assert response.status_code == 201, response.content
    app = response.json()
    for attachment in attachments:
        r = api.upload(
            f"/applications/{app['id']}/attachments", f"{attachment}.pdf", PDF, attachment
        )
        assert r.status_code == 201, r.content
    if submit:
        r = api.post(f"/applications/{app['id']}/submit")
        assert r.status_code == 200, r.content
        app = r.json()
    return app


def through_chain(app_id: int, capture, reviewers: tuple[str, ...] = CHAIN) -> dict[str, Any]:
    """Every level approves (after-commit work, the letter included, runs eagerly)."""
    body: dict[str, Any] = {}
    for reviewer in reviewers:
        with capture(execute=True):
            response = decide(login(reviewer), app_id, "approve")
        assert response.status_code == 200, response.content
        body = response.json()
    return body


def letter_text(api: Api, app_id: int) -> str:
    from tests.support.letters import pdf_text

    response = api.get(f"/applications/{app_id}/letter")
    assert response.status_code == 200, response.content
    return "".join(pdf_text(b"".join(response.streaming_content)).split())
