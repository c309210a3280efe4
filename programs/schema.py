"""The JSON Schema of a programme definition (``"schema": "fundflow.program/1"``).

Published with the API docs (the request body of ``POST /api/v1/programs`` and the answer of
``GET /api/v1/programs/{code}/definition`` in the OpenAPI document, and as itself at
``GET /api/v1/program-schema``). What the schema cannot say (a field named twice, a rule cell
naming an unknown field, weights adding up to 100, a template's syntax) is checked by
``programs.definition``; every error names its JSON path (``fields[2].type``).
"""

from __future__ import annotations

from typing import Any

SCHEMA_NAME = "fundflow.program/1"
SCHEMA_ID = "urn:fundflow:schema:program:1"

LEVELS = ["district", "city", "region"]
KINDS = ["certification", "voucher", "navigation", "general"]
ORG_KINDS = [
    "enterprise",
    "university",
    "research_institute",
    "service_agency",
    "park",
    "association",
    "alliance",
]
FIELD_TYPES = ["text", "date", "choice", "decimal", "integer", "boolean"]
LETTER_KINDS = ["award", "refusal", "acceptance"]

SLUG = {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,49}$"}
LABEL = {"type": "string", "minLength": 1, "maxLength": 100}
LABEL_EN = {"type": "string", "maxLength": 100}
MONEY = {"type": "string", "pattern": r"^\d{1,12}\.\d{2}$"}
DATETIME = {
    "type": "string",
    "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)$",
    "description": "ISO 8601 with its offset, e.g. 2026-01-01T00:00:00+06:00",
}
POSITIVE = {"type": "integer", "minimum": 1}


def _object(properties: dict[str, Any], required: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
        **extra,
    }


CRITERION = _object(
    {
        "code": SLUG,
        "label": LABEL,
        "label_en": LABEL_EN,
        "weight": {"type": "integer", "minimum": 1, "maximum": 100},
    },
    ["code", "label", "weight"],
)
MILESTONE = _object(
    {
        "code": SLUG,
        "label": LABEL,
        "label_en": LABEL_EN,
        "share": {"type": "integer", "minimum": 1, "maximum": 100},
        "due_months": {"type": "integer", "minimum": 1, "maximum": 120},
    },
    ["code", "label", "share", "due_months"],
)

STEPS = _object(
    {
        "expert_review": {
            "description": "Expert review (评审): a conflict-free random draw with a recorded seed, "
            "declarations, weighted criteria scored 0–100, the mean rule (the highest and lowest "
            "dropped from five experts). null: off.",
            "anyOf": [
                {"type": "null"},
                _object(
                    {
                        "experts_per_application": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": 20,
                        },
                        "criteria": {"type": "array", "minItems": 1, "items": CRITERION},
                        "topic": {
                            "type": "string",
                            "description": "the field of expertise of the experts drawn",
                        },
                        "topic_field": {
                            "type": "string",
                            "description": "or: the choice field whose answer is that field",
                        },
                    },
                    ["experts_per_application", "criteria"],
                ),
            ],
        },
        "public_notice": {
            "description": "Public notice of the proposed awards (拟奖励名单公示): the city selects "
            "on the ranking and publishes; anyone objects without login while it runs; the city "
            "resolves; the region signs off after it closes clean, and only then are the awards "
            "approved and their letters issued. null: off.",
            "anyOf": [
                {"type": "null"},
                _object(
                    {
                        "working_days": {"type": "integer", "minimum": 1, "maximum": 30},
                        "target_count": {"anyOf": [{"type": "null"}, POSITIVE]},
                    },
                    ["working_days"],
                ),
            ],
        },
        "milestones": {
            "description": "Milestones with tranches: the award is planned in tranches, each "
            "committed when its milestone is accepted by the levels given; the last one is the "
            "acceptance (验收) with its certificate. null: off.",
            "anyOf": [
                {"type": "null"},
                _object(
                    {
                        "milestones": {"type": "array", "minItems": 1, "items": MILESTONE},
                        "levels": {
                            "type": "array",
                            "minItems": 1,
                            "items": {"enum": LEVELS},
                        },
                    },
                    ["milestones", "levels"],
                ),
            ],
        },
    },
    ["expert_review", "public_notice", "milestones"],
)

RANKING = {
    "description": "Merit ranking (择优) of the merit queue and the ranking pages; {}: by "
    "submission time. Never the award amount.",
    "type": "object",
    "properties": {
        "by": {"enum": ["submitted_at", "expert_score", "formula"]},
        "expression": {
            "type": "string",
            "maxLength": 500,
            "description": "zen-engine expression over fields.<whole-number, amount or yes/no "
            "field>, expert_score and organization.is_sme",
        },
        "tie_breaks": {
            "type": "array",
            "items": {"type": "string"},
            "description": "submitted_at (earlier first), expert_score or fields.<name> "
            "(higher first)",
        },
    },
    "additionalProperties": False,
}

DEFINITION_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": SCHEMA_ID,
    "title": "Programme definition (fundflow.program/1)",
    "description": "Everything a funding programme is, as one document: export it, review it, "
    "import it into another system, or clone next year's from it.",
    **_object(
        {
            "schema": {"const": SCHEMA_NAME},
            "code": SLUG,
            "name": {"type": "string", "minLength": 1, "maxLength": 200},
            "name_en": {"type": "string", "maxLength": 200},
            "description": {"type": "string", "maxLength": 4000},
            "kind": {"enum": KINDS},
            "year": {"type": "integer", "minimum": 2000, "maximum": 2100},
            "number_prefix": {"type": "string", "pattern": "^[A-Z]{2,4}$"},
            "levels": {
                "type": "array",
                "minItems": 1,
                "maxItems": 3,
                "uniqueItems": True,
                "items": {"enum": LEVELS},
            },
            "level_deadline_days": {
                "type": "object",
                "propertyNames": {"enum": LEVELS},
                "additionalProperties": {"type": "integer", "minimum": 1, "maximum": 120},
            },
            "cap": {"anyOf": [{"type": "null"}, MONEY]},
            "opens": DATETIME,
            "closes": DATETIME,
            "allowed_org_kinds": {
                "type": "array",
                "uniqueItems": True,
                "items": {"enum": ORG_KINDS},
            },
            "budget_policy": {"enum": ["refuse", "queue"]},
            "is_active": {"type": "boolean"},
            "fields": {
                "type": "array",
                "maxItems": 60,
                "items": _object(
                    {
                        "name": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,49}$"},
                        "type": {"enum": FIELD_TYPES},
                        "label": LABEL,
                        "label_en": LABEL_EN,
                        "required": {"type": "boolean"},
                        "choices": {
                            "type": "array",
                            "items": {"type": "string", "minLength": 1, "maxLength": 100},
                        },
                        "help": {"type": "string", "maxLength": 300},
                        "help_en": {"type": "string", "maxLength": 300},
                    },
                    ["name", "type", "label"],
                ),
            },
            "cost_line_kinds": {
                "type": "array",
                "maxItems": 40,
                "items": _object(
                    {
                        "code": SLUG,
                        "label": LABEL,
                        "label_en": LABEL_EN,
                        "counts_toward_award": {"type": "boolean"},
                    },
                    ["code", "label"],
                ),
            },
            "attachment_kinds": {
                "type": "array",
                "maxItems": 40,
                "items": _object(
                    {
                        "code": SLUG,
                        "label": LABEL,
                        "label_en": LABEL_EN,
                        "required": {"type": "boolean"},
                    },
                    ["code", "label"],
                ),
            },
            "rule_set": _object(
                {
                    "tables": {
                        "type": "array",
                        "minItems": 1,
                        "items": {"type": "object"},
                        "description": "decision tables (README: Rule checks); each cell is "
                        "compiled and each field path checked",
                    },
                    "test_cases": {
                        "type": "array",
                        "minItems": 1,
                        "items": {"type": "object"},
                        "description": "{name, facts, expect: {checks, award_fen}}; all must pass",
                    },
                },
                ["tables", "test_cases"],
            ),
            "letters": _object(
                {
                    "regulation": {"type": "string", "minLength": 1, "maxLength": 200},
                    "issuer_level": {"enum": LEVELS},
                    "reconsideration_body": {"type": "string", "maxLength": 100},
                    "reconsideration_days": {"type": "integer", "minimum": 1, "maximum": 365},
                    "litigation_months": {"type": "integer", "minimum": 1, "maximum": 36},
                    "copy_to": {"type": "string", "maxLength": 300},
                    "templates": {
                        "type": "object",
                        "propertyNames": {"enum": LETTER_KINDS},
                        "additionalProperties": {"type": "string", "maxLength": 100000},
                        "description": "the programme's own template per letter kind (Django "
                        'template text extending "letters/_document.html", run in a sandbox); '
                        "a kind left out uses the shared template of its kind",
                    },
                },
                ["regulation"],
            ),
            "steps": STEPS,
            "ranking": RANKING,
            "indicators": {
                "type": "array",
                "items": _object(
                    {
                        "number": {"type": "integer", "minimum": 1, "maximum": 12},
                        "measure": {"enum": ["count", "amount"]},
                        "field": {"type": "string"},
                    },
                    ["number"],
                ),
                "description": "the plan indicators (appendix, 1–12) the awards feed: each "
                "award counts once, or the sum of a decimal field (measure amount)",
            },
            "kind_settings": {
                "description": "settings only the programme's kind has (a voucher programme's "
                "terms); null for the others",
                "anyOf": [{"type": "null"}, {"type": "object"}],
            },
        },
        [
            "schema",
            "code",
            "name",
            "kind",
            "year",
            "number_prefix",
            "levels",
            "opens",
            "closes",
            "fields",
            "cost_line_kinds",
            "attachment_kinds",
            "rule_set",
            "letters",
        ],
    ),
}
