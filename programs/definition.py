"""A programme as one versioned JSON document (``"schema": "fundflow.program/1"``): export it,
check it, apply it (create a programme, or change one), clone next year's from it.

The document holds everything a programme is: code, names, kind, year, number prefix, review
chain and deadlines, cap, window, organisation kinds, budget policy, form fields, cost-line
and attachment kinds, the rule set (decision tables and test cases), the letters (what they
cite, who issues them, the programme's own templates per letter kind), the steps switched on
with their settings, the merit ranking, the indicators it feeds, and settings only its kind
has. Budgets are not part of it (money is allocated per year by finance).

Checking a document reports every problem at once, each at its JSON path (``fields[2].type``,
``rule_set.tables[0].rows[3].when[0]``, ``letters.templates.award`` with the line); applying
one writes nothing when anything is wrong (one transaction). Export → import → export gives
the same document.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import re
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError

from experts.models import INDUSTRIES
from grants import kinds
from grants.audit import audit_record
from grants.errors import Forbidden, InvalidInput
from grants.models import (
    STEPS,
    AttachmentKind,
    CostLineKind,
    FieldType,
    Program,
    ProgramField,
    Role,
)
from grants.selectors import has_role
from letters.authorities import DEFAULT_REGULATION
from letters.models import LetterKind, ProgramLetterSettings
from letters.services import (
    letter_settings,
    program_templates,
    template_errors,
    template_publish,
)
from programs.schema import DEFINITION_SCHEMA, SCHEMA_NAME
from rules.compiler import validate
from rules.facts import facts_schema
from rules.models import RuleSetVersion
from rules.ranking import ranking_errors
from rules.services import ruleset_activate, ruleset_check

MAX_ERRORS = 100
_validator = Draft202012Validator(DEFINITION_SCHEMA)


def canonical(document: Any) -> str:
    """The document as compared and hashed: sorted keys, no spaces, characters as they are."""
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def document_sha256(document: Any) -> str:
    return hashlib.sha256(canonical(document).encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- export


def _when(value: dt.datetime) -> str:
    return timezone.localtime(value).isoformat()


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _steps_of(program: Program) -> dict[str, Any]:
    hooks = kinds.hooks_for(program.kind)
    steps = hooks.steps_read(program) if hooks.steps_read is not None else (program.steps or {})
    return {name: copy.deepcopy(steps.get(name)) for name in STEPS}


def _rule_set_of(program: Program) -> dict[str, Any]:
    version = (
        RuleSetVersion.objects.filter(program=program, state=RuleSetVersion.State.ACTIVE)
        .order_by("-number")
        .first()
    )
    if version is None:
        return {"tables": [], "test_cases": []}
    return {
        "tables": copy.deepcopy(version.content.get("tables", [])),
        "test_cases": copy.deepcopy(version.test_cases),
    }


def definition_export(program: Program) -> dict[str, Any]:
    """The programme as it is now, as a ``fundflow.program/1`` document."""
    settings = letter_settings(program)
    hooks = kinds.hooks_for(program.kind)
    return {
        "schema": SCHEMA_NAME,
        "code": program.code,
        "name": program.name,
        "name_en": program.name_en,
        "description": program.description,
        "kind": program.kind,
        "year": program.year,
        "number_prefix": program.number_prefix,
        "levels": list(program.levels),
        "level_deadline_days": dict(program.level_deadline_days or {}),
        "cap": _money(program.cap),
        "opens": _when(program.opens),
        "closes": _when(program.closes),
        "allowed_org_kinds": list(program.allowed_org_kinds or []),
        "budget_policy": program.budget_policy,
        "is_active": program.is_active,
        "fields": [
            {
                "name": f.name,
                "type": f.type,
                "label": f.label,
                "label_en": f.label_en,
                "required": f.required,
                "choices": list(f.choices or []),
                "help": f.help,
                "help_en": f.help_en,
            }
            for f in program.fields.order_by("position", "id")
        ],
        "cost_line_kinds": [
            {
                "code": k.code,
                "label": k.label,
                "label_en": k.label_en,
                "counts_toward_award": k.counts_toward_award,
            }
            for k in program.cost_line_kinds.order_by("position", "id")
        ],
        "attachment_kinds": [
            {"code": a.code, "label": a.label, "label_en": a.label_en, "required": a.required}
            for a in program.attachment_kinds.order_by("position", "id")
        ],
        "rule_set": _rule_set_of(program),
        "letters": {
            "regulation": settings.regulation,
            "issuer_level": settings.issuer_level,
            "reconsideration_body": settings.reconsideration_body,
            "reconsideration_days": settings.reconsideration_days,
            "litigation_months": settings.litigation_months,
            "copy_to": settings.copy_to,
            "templates": program_templates(program),
        },
        "steps": _steps_of(program),
        "ranking": copy.deepcopy(program.ranking or {}),
        "indicators": copy.deepcopy(program.indicators or []),
        "kind_settings": hooks.settings_read(program),
    }


# ---------------------------------------------------------------- checking


def json_path(parts: Any) -> str:
    """``["fields", 2, "type"]`` → ``fields[2].type``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _schema_message(error: SchemaError) -> tuple[str, str]:
    """The path and the words of one JSON Schema error."""
    path = json_path(error.absolute_path)
    value: Any = error.validator_value
    schema: Any = error.schema
    instance: Any = error.instance
    if error.validator == "required":
        missing = [k for k in value if isinstance(instance, dict) and k not in instance]
        name = missing[0] if missing else ""
        return json_path([*error.absolute_path, name]), _("This is required.")
    if error.validator == "additionalProperties":
        known = set((schema.get("properties") or {}).keys())
        extra = sorted(k for k in instance if k not in known)
        return path or "document", _("Unknown key(s): %(k)s") % {"k": ", ".join(extra)}
    if error.validator == "enum":
        return path, _("One of: %(v)s") % {"v": ", ".join(map(str, value))}
    if error.validator == "const":
        return path, _("Must be “%(v)s”.") % {"v": value}
    if error.validator == "type":
        return path, _("Expected %(t)s.") % {
            "t": value if isinstance(value, str) else "/".join(value)
        }
    if error.validator == "pattern":
        return path, _("Not in the expected form (%(p)s).") % {"p": value}
    if error.validator in ("minLength", "minItems"):
        return path, _("Too short or empty.")
    if error.validator in ("maxLength", "maxItems"):
        return path, _("Too long (at most %(n)s).") % {"n": value}
    if error.validator == "minimum":
        return path, _("At least %(n)s.") % {"n": value}
    if error.validator == "maximum":
        return path, _("At most %(n)s.") % {"n": value}
    if error.validator == "uniqueItems":
        return path, _("A value appears twice.")
    if error.validator == "anyOf":
        return path, _("Not a valid value here (null, or the object described).")
    return path, error.message


def schema_errors(document: Any) -> list[dict[str, str]]:
    """What the JSON Schema says is wrong, at each path."""
    if not isinstance(document, dict):
        return [{"field": "document", "message": _("A definition is a JSON object.")}]
    errors = []
    for error in sorted(
        _validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path))
    ):
        path, message = _schema_message(error)
        errors.append({"field": path, "message": message})
        if len(errors) >= MAX_ERRORS:
            break
    return errors


def parse_when(value: str) -> dt.datetime | None:
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo is not None else None


def _duplicates(items: list[dict[str, Any]], key: str, where: str) -> list[dict[str, str]]:
    seen: set[Any] = set()
    errors = []
    for i, item in enumerate(items):
        if item.get(key) in seen:
            errors.append({"field": f"{where}[{i}].{key}", "message": _("Used twice.")})
        seen.add(item.get(key))
    return errors


def _steps_errors(steps: dict[str, Any], doc: dict[str, Any], own_steps: bool) -> list[dict]:
    errors: list[dict[str, str]] = []
    fields = {f["name"]: f for f in doc["fields"]}
    review = steps.get("expert_review")
    if review:
        criteria = review["criteria"]
        errors += _duplicates(criteria, "code", "steps.expert_review.criteria")
        if sum(c["weight"] for c in criteria) != 100:
            errors.append(
                {
                    "field": "steps.expert_review.criteria",
                    "message": _("The weights add up to 100."),
                }
            )
        topic, topic_field = review.get("topic"), review.get("topic_field")
        if topic is not None and topic not in INDUSTRIES:
            errors.append(
                {
                    "field": "steps.expert_review.topic",
                    "message": _("A field of expertise of the pool: %(i)s")
                    % {"i": "、".join(INDUSTRIES)},
                }
            )
        if topic_field is not None:
            spec = fields.get(topic_field)
            if spec is None or spec["type"] != FieldType.CHOICE:
                errors.append(
                    {
                        "field": "steps.expert_review.topic_field",
                        "message": _("The name of one of the programme's choice fields."),
                    }
                )
            elif any(c not in INDUSTRIES for c in spec.get("choices", [])):
                errors.append(
                    {
                        "field": "steps.expert_review.topic_field",
                        "message": _("Its choices must be fields of expertise of the pool."),
                    }
                )
        if not own_steps and topic is None and topic_field is None:
            errors.append(
                {
                    "field": "steps.expert_review.topic",
                    "message": _("Say which experts are drawn: topic or topic_field."),
                }
            )
    plan = steps.get("milestones")
    if plan:
        errors += _duplicates(plan["milestones"], "code", "steps.milestones.milestones")
        if sum(m["share"] for m in plan["milestones"]) != 100:
            errors.append(
                {
                    "field": "steps.milestones.milestones",
                    "message": _("The tranche shares of the milestones add up to 100."),
                }
            )
    return errors


def letter_kinds_for(doc: dict[str, Any]) -> list[str]:
    """The letter kinds a programme of this definition issues (its templates may be its own)."""
    hooks = kinds.hooks_for(doc["kind"])
    extra = [k for k in hooks.letter_kinds if k not in (LetterKind.AWARD, LetterKind.REFUSAL)]
    if (doc.get("steps") or {}).get("milestones") and LetterKind.ACCEPTANCE not in extra:
        extra.append(LetterKind.ACCEPTANCE)
    return [LetterKind.AWARD, LetterKind.REFUSAL, *extra]


def semantic_errors(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """What the schema cannot say: every problem, each at its path (the document passed the
    schema). Writes nothing; rule test cases run when the definition is applied."""
    errors: list[dict[str, Any]] = []
    errors += _duplicates(doc["fields"], "name", "fields")
    errors += _duplicates(doc["cost_line_kinds"], "code", "cost_line_kinds")
    errors += _duplicates(doc["attachment_kinds"], "code", "attachment_kinds")
    for i, field in enumerate(doc["fields"]):
        choices = field.get("choices") or []
        if field["type"] == FieldType.CHOICE and not choices:
            errors.append(
                {
                    "field": f"fields[{i}].choices",
                    "message": _("A choice field needs a non-empty list of choices."),
                }
            )
        elif field["type"] != FieldType.CHOICE and choices:
            errors.append(
                {"field": f"fields[{i}].choices", "message": _("Only a choice field has choices.")}
            )
    opens, closes = parse_when(doc["opens"]), parse_when(doc["closes"])
    if opens is None:
        errors.append({"field": "opens", "message": _("A date and time with its offset.")})
    if closes is None:
        errors.append({"field": "closes", "message": _("A date and time with its offset.")})
    if opens and closes and closes <= opens:
        errors.append({"field": "closes", "message": _("The window must close after it opens.")})
    hooks = kinds.hooks_for(doc["kind"])
    steps = doc.get("steps") or {}
    errors += _steps_errors(steps, doc, hooks.runs_own_steps)
    if hooks.runs_own_steps and not all(steps.get(name) for name in STEPS):
        errors.append(
            {
                "field": "steps",
                "message": _("A programme of this kind runs all its steps: give each one."),
            }
        )
    field_types = {f["name"]: f["type"] for f in doc["fields"]}
    errors += ranking_errors(
        doc.get("ranking") or {},
        field_types=field_types,
        expert_scores=bool(steps.get("expert_review")),
    )
    seen: set[tuple[int, str]] = set()
    for i, link in enumerate(doc.get("indicators") or []):
        measure = link.get("measure", "count")
        if (link["number"], measure) in seen:
            errors.append({"field": f"indicators[{i}]", "message": _("Given twice.")})
        seen.add((link["number"], measure))
        name = link.get("field")
        if measure == "amount" and field_types.get(name or "") not in ("decimal", "integer"):
            errors.append(
                {
                    "field": f"indicators[{i}].field",
                    "message": _("An amount is the sum of one of the programme's decimal fields."),
                }
            )
        elif measure == "count" and name is not None:
            errors.append({"field": f"indicators[{i}].field", "message": _("Only for an amount.")})
    for error in hooks.settings_errors(doc.get("kind_settings")):
        errors.append(
            {
                **error,
                "field": json_path(["kind_settings"])
                + (("." + error["field"]) if error.get("field") else ""),
            }
        )
    letters = doc["letters"]
    allowed = letter_kinds_for(doc)
    for kind, body in (letters.get("templates") or {}).items():
        where = f"letters.templates.{kind}"
        if kind not in allowed:
            errors.append(
                {"field": where, "message": _("This programme issues no letter of this kind.")}
            )
            continue
        errors += template_errors(body, where)
    schema = facts_schema(
        fields=[(f["name"], f["type"]) for f in doc["fields"]],
        cost_kinds=[k["code"] for k in doc["cost_line_kinds"]],
    )
    for cell in validate({"tables": doc["rule_set"]["tables"]}, schema):
        errors.append({"field": f"rule_set.{cell.cell}", "message": cell.message})
    return errors[:MAX_ERRORS]


def definition_errors(document: Any) -> list[dict[str, Any]]:
    """Every problem of a definition document, each at its JSON path ([] when it is sound)."""
    errors = schema_errors(document)
    return errors or semantic_errors(document)


class DefinitionInvalid(InvalidInput):
    slug = "definition-invalid"

    def __init__(self, errors: list[dict[str, Any]]):
        super().__init__(
            errors, detail=_("The programme definition has errors; each names its JSON path.")
        )


# ---------------------------------------------------------------- applying


def _sync(model: Any, program: Program, key: str, rows: list[dict[str, Any]]) -> None:
    """Make the programme's rows of ``model`` exactly ``rows`` (matched by ``key``), in order."""
    existing = {getattr(obj, key): obj for obj in model.objects.filter(program=program)}
    wanted = {row[key] for row in rows}
    model.objects.filter(program=program).exclude(**{f"{key}__in": wanted}).delete()
    for position, row in enumerate(rows):
        obj = existing.get(row[key]) or model(program=program)
        for name, value in row.items():
            setattr(obj, name, value)
        obj.position = position
        obj.save()


def _apply_rule_set(
    program: Program, rule_set: dict[str, Any], *, actor: Any, effective_from: dt.datetime
) -> None:
    content = {"tables": rule_set["tables"]}
    current = _rule_set_of(program)
    if canonical(current) == canonical(rule_set):
        return
    number = (
        RuleSetVersion.objects.filter(program=program)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
        or 0
    ) + 1
    draft = RuleSetVersion.objects.create(
        program=program,
        number=number,
        content=copy.deepcopy(content),
        test_cases=copy.deepcopy(rule_set["test_cases"]),
        created_by=actor if getattr(actor, "pk", None) else None,
        notes="programme definition",
    )
    report = ruleset_check(draft)
    errors = [
        {"field": f"rule_set.{e['field']}", "message": e["message"]} for e in report["errors"]
    ]
    tests = report["tests"]
    if not errors and not tests["passed"]:
        if tests.get("error"):
            errors.append({"field": "rule_set.test_cases", "message": str(tests["error"])})
        for i, result in enumerate(tests["results"]):
            if not result["passed"]:
                errors.append(
                    {
                        "field": f"rule_set.test_cases[{i}]",
                        "message": f"{result['name']}: " + "; ".join(result["failures"]),
                    }
                )
    if errors:
        raise DefinitionInvalid(errors)
    ruleset_activate(
        version=draft, actor=actor, effective_from=effective_from, definition_approved=True
    )


def _apply_letters(program: Program, letters: dict[str, Any], *, actor: Any) -> None:
    ProgramLetterSettings.objects.update_or_create(
        program=program,
        defaults={
            "regulation": letters.get("regulation") or DEFAULT_REGULATION,
            "issuer_level": letters.get("issuer_level", "city"),
            "reconsideration_body": letters.get("reconsideration_body", ""),
            "reconsideration_days": letters.get("reconsideration_days", 60),
            "litigation_months": letters.get("litigation_months", 6),
            "copy_to": letters.get("copy_to", ""),
        },
    )
    current = program_templates(program)
    wanted = letters.get("templates") or {}
    removed = sorted(set(current) - set(wanted))
    if removed:
        raise DefinitionInvalid(
            [
                {
                    "field": f"letters.templates.{kind}",
                    "message": _(
                        "A programme's own template is replaced by a new version, never removed."
                    ),
                }
                for kind in removed
            ]
        )
    for kind, body in wanted.items():
        if current.get(kind) != body:
            template_publish(
                actor=actor, kind=kind, body=body, note=_("programme definition"), program=program
            )


def definition_apply(
    *, actor: Any, document: dict[str, Any], program: Program | None = None
) -> Program:
    """Make ``program`` (or a new programme) what ``document`` defines, in one transaction:
    every problem is raised at once (``DefinitionInvalid``) and nothing is written then.

    Rule sets and letter templates that change become new versions; the steps of a kind that
    runs its own (navigation) are written by its hooks. The caller checks who may."""
    errors = definition_errors(document)
    if errors:
        raise DefinitionInvalid(errors)
    doc = copy.deepcopy(document)
    with transaction.atomic():
        created = program is None
        if program is None:
            program = Program(code=doc["code"], kind=doc["kind"])
        elif doc["code"] != program.code or doc["kind"] != program.kind:
            raise DefinitionInvalid(
                [
                    {
                        "field": "code" if doc["code"] != program.code else "kind",
                        "message": _("A programme keeps its code and its kind."),
                    }
                ]
            )
        hooks = kinds.hooks_for(doc["kind"])
        steps = {name: doc["steps"].get(name) for name in STEPS} if doc.get("steps") else {}
        program.name = doc["name"]
        program.name_en = doc.get("name_en", "")
        program.description = doc.get("description", "")
        program.year = doc["year"]
        program.number_prefix = doc["number_prefix"]
        program.levels = list(doc["levels"])
        program.level_deadline_days = dict(
            doc.get("level_deadline_days") or {"district": 10, "city": 10, "region": 15}
        )
        program.cap = None if doc.get("cap") is None else Decimal(doc["cap"])
        program.opens = parse_when(doc["opens"])  # type: ignore[assignment]  # checked above
        program.closes = parse_when(doc["closes"])  # type: ignore[assignment]
        program.allowed_org_kinds = list(doc.get("allowed_org_kinds") or [])
        program.budget_policy = doc.get("budget_policy", "refuse")
        program.is_active = doc.get("is_active", True)
        program.ranking = copy.deepcopy(doc.get("ranking") or {})
        program.indicators = copy.deepcopy(doc.get("indicators") or [])
        program.steps = (
            {} if hooks.runs_own_steps else {k: v for k, v in steps.items() if v is not None}
        )
        program.save()
        _sync(
            ProgramField,
            program,
            "name",
            [
                {
                    "name": f["name"],
                    "type": f["type"],
                    "label": f["label"],
                    "label_en": f.get("label_en", ""),
                    "required": f.get("required", True),
                    "choices": list(f.get("choices") or []),
                    "help": f.get("help", ""),
                    "help_en": f.get("help_en", ""),
                }
                for f in doc["fields"]
            ],
        )
        _sync(
            CostLineKind,
            program,
            "code",
            [
                {
                    "code": k["code"],
                    "label": k["label"],
                    "label_en": k.get("label_en", ""),
                    "counts_toward_award": k.get("counts_toward_award", False),
                }
                for k in doc["cost_line_kinds"]
            ],
        )
        _sync(
            AttachmentKind,
            program,
            "code",
            [
                {
                    "code": a["code"],
                    "label": a["label"],
                    "label_en": a.get("label_en", ""),
                    "required": a.get("required", True),
                }
                for a in doc["attachment_kinds"]
            ],
        )
        if hooks.steps_write is not None:
            hooks.steps_write(program, steps)
        hooks.settings_write(program, doc.get("kind_settings"))
        _apply_letters(program, doc["letters"], actor=actor)
        _apply_rule_set(
            program,
            doc["rule_set"],
            actor=actor,
            effective_from=program.opens if created else timezone.now(),
        )
        audit_record(
            actor=actor,
            action="program.define",
            obj=program,
            role=Role.ADMIN,
            data={"code": program.code, "created": created, "sha256": document_sha256(doc)},
        )
    return program


# ---------------------------------------------------------------- create and clone


def require_admin(actor: Any) -> None:
    if not has_role(actor, Role.ADMIN):
        raise Forbidden(_("Only programme administrators define programmes."))


_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")


def shift_dates(value: Any, years: int) -> Any:
    """Every YYYY-MM-DD inside ``value`` moved by ``years`` (29 February → 28 February)."""

    def move(match: re.Match[str]) -> str:
        year, month, day = int(match[1]) + years, int(match[2]), int(match[3])
        try:
            return dt.date(year, month, day).isoformat()
        except ValueError:
            return dt.date(year, month, 28).isoformat() if month == 2 else match[0]

    if isinstance(value, dict):
        return {k: shift_dates(v, years) for k, v in value.items()}
    if isinstance(value, list):
        return [shift_dates(v, years) for v in value]
    if isinstance(value, str):
        return _DATE.sub(move, value)
    return value


def clone_document(
    document: dict[str, Any], *, code: str, year: int, opens: str, closes: str
) -> dict[str, Any]:
    """Next year's programme from this year's definition: the new code, year and window; the
    year in its names follows, and the dates its rule test cases name move with the year."""
    doc = copy.deepcopy(document)
    old_year = doc.get("year")
    doc["code"], doc["year"], doc["opens"], doc["closes"] = code, year, opens, closes
    if isinstance(old_year, int) and old_year != year:
        for key in ("name", "name_en", "description"):
            if isinstance(doc.get(key), str):
                doc[key] = doc[key].replace(str(old_year), str(year))
        rule_set = doc.get("rule_set")
        if isinstance(rule_set, dict) and isinstance(rule_set.get("test_cases"), list):
            rule_set["test_cases"] = shift_dates(rule_set["test_cases"], year - old_year)
    return doc


# ---------------------------------------------------------------- definitions kept as data files

_YEAR = re.compile(r"\{year(?:([+-])(\d+))?\}")


def at_year(value: Any, year: int) -> Any:
    """A definition kept as a data file names its years relative to the programme's:
    ``{year}``, ``{year+3}``, ``{year-1}`` inside a string become that year."""
    if isinstance(value, dict):
        return {k: at_year(v, year) for k, v in value.items()}
    if isinstance(value, list):
        return [at_year(v, year) for v in value]
    if isinstance(value, str):
        return _YEAR.sub(lambda m: str(year + int(f"{m[1]}{m[2]}" if m[1] else 0)), value)
    return value


def from_data_file(text: str, year: int) -> dict[str, Any]:
    """A definition kept as a data file (its years relative), for programme ``year``."""
    document: dict[str, Any] = at_year(json.loads(text), year)
    document["year"] = year
    return document
