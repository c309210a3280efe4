"""Merit ranking (择优): how a programme ranks its applications, as data, evaluated safely.

A programme's ranking (``Program.ranking``) is one of::

    {}                                              by submission time (first come)
    {"by": "expert_score"}                          the experts' score (mean rule), best first
    {"by": "formula", "expression": "fields.invention_patents * 2 + fields.rd_ratio",
     "tie_breaks": ["fields.rd_ratio", "submitted_at"]}

The formula is a zen-engine expression (the rule engine's own language, compiled and
bounded like a rule cell, never ``eval``) over the application's numeric and yes/no
fields (``fields.<name>``: whole numbers, decimal amounts in yuan, true/false),
``expert_score`` (null until the experts scored) and ``organization.is_sme``. The award
amount is not among them: 择优 means merit, never the bigger amount. A formula that cannot
be computed for an application (a field left empty) gives no merit: it ranks after every
application that has one. Ties are broken by ``tie_breaks`` in order (``submitted_at``:
earlier first; ``expert_score`` or ``fields.<name>``: higher first), then by submission
time, then by id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import zen

from rules.compiler import expression_problem, referenced_paths

BY = ("submitted_at", "expert_score", "formula")
NUMERIC_TYPES = ("integer", "decimal", "boolean")
PLACES = Decimal("0.0001")
LATEST = dt.datetime.max.replace(tzinfo=dt.UTC)


def _known_paths(field_types: Mapping[str, str]) -> set[str]:
    return {f"fields.{name}" for name, kind in field_types.items() if kind in NUMERIC_TYPES} | {
        "expert_score",
        "organization.is_sme",
    }


def ranking_errors(
    spec: Any, *, field_types: Mapping[str, str], expert_scores: bool, where: str = "ranking"
) -> list[dict[str, str]]:
    """Every problem of a ranking spec, each naming its path (``ranking.expression``).

    ``field_types``: the programme's fields by name → type; ``expert_scores``: whether the
    programme's experts score its applications (expert review switched on, or a kind's own)."""
    if spec in (None, {}):
        return []
    if not isinstance(spec, dict):
        return [{"field": where, "message": 'an object such as {"by": "expert_score"}'}]
    errors: list[dict[str, str]] = []
    unknown = sorted(set(spec) - {"by", "expression", "tie_breaks", "label", "label_en"})
    if unknown:
        errors.append({"field": where, "message": f"unknown keys: {', '.join(unknown)}"})
    by = spec.get("by")
    known = _known_paths(field_types)
    if by not in BY:
        errors.append({"field": f"{where}.by", "message": f"one of {', '.join(BY)}"})
    elif by == "expert_score" and not expert_scores:
        errors.append(
            {
                "field": f"{where}.by",
                "message": "expert_score needs the expert review step (steps.expert_review)",
            }
        )
    elif by == "formula":
        expression = spec.get("expression")
        if not isinstance(expression, str) or not expression.strip():
            errors.append({"field": f"{where}.expression", "message": "an expression is required"})
        else:
            problem = formula_problem(expression, known)
            if problem:
                errors.append({"field": f"{where}.expression", "message": problem})
    elif "expression" in spec:
        errors.append({"field": f"{where}.expression", "message": 'only with "by": "formula"'})
    tie_breaks = spec.get("tie_breaks", [])
    if not isinstance(tie_breaks, list):
        errors.append({"field": f"{where}.tie_breaks", "message": "a list"})
        tie_breaks = []
    for i, item in enumerate(tie_breaks):
        path = f"{where}.tie_breaks[{i}]"
        if item == "submitted_at":
            continue
        if item == "expert_score":
            if not expert_scores:
                errors.append({"field": path, "message": "needs the expert review step"})
            continue
        if not isinstance(item, str) or item not in known - {"expert_score"}:
            errors.append(
                {
                    "field": path,
                    "message": f"unknown “{item}”: submitted_at, expert_score or "
                    "fields.<a whole-number, amount or yes/no field>",
                }
            )
    return errors


def formula_problem(expression: str, known: set[str]) -> str | None:
    """Why a ranking formula is refused (syntax, a path it may not read, its size), or None."""
    problem = expression_problem(expression)
    if problem:
        return problem
    if any(quote in expression for quote in "\"'`"):
        return "a ranking formula computes a number; text is not allowed"
    try:
        zen.compile_expression(expression)
    except Exception as exc:  # zen raises a plain exception carrying a JSON message
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
        return f"syntax error: {first}"
    for path in referenced_paths(expression):
        if path not in known:
            return f"unknown field “{path}” (a ranking reads whole-number, amount and yes/no fields, expert_score and organization.is_sme; never the award)"
    return None


def _number(value: Any) -> Decimal | None:
    if value is None or isinstance(value, str):
        return None
    if isinstance(value, bool):
        return Decimal(int(value))
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number.quantize(PLACES) if number.is_finite() else None


def ranking_context(
    *,
    field_types: Mapping[str, str],
    values: Mapping[str, Any],
    expert_score: Decimal | None,
    is_sme: bool,
) -> dict[str, Any]:
    """What a formula reads: numeric fields as numbers (amounts in yuan), the expert score."""
    fields: dict[str, Any] = {}
    for name, kind in field_types.items():
        value = values.get(name)
        if kind == "boolean":
            fields[name] = value if isinstance(value, bool) else None
        elif kind == "integer":
            fields[name] = value if isinstance(value, int) and not isinstance(value, bool) else None
        elif kind == "decimal":
            try:
                fields[name] = float(Decimal(str(value))) if value not in (None, "") else None
            except InvalidOperation:
                fields[name] = None
    return {
        "fields": fields,
        "expert_score": None if expert_score is None else float(expert_score),
        "organization": {"is_sme": bool(is_sme)},
    }


_compiled: dict[str, Any] = {}


def _evaluate(expression: str, context: dict[str, Any]) -> Decimal | None:
    compiled = _compiled.get(expression)
    if compiled is None:
        compiled = _compiled[expression] = zen.compile_expression(expression)
    try:
        return _number(compiled.evaluate(context))
    except Exception:  # a runtime error (null in arithmetic): no merit, ranked last
        return None


def merit(spec: Any, context: dict[str, Any]) -> Decimal | None:
    """The merit of one application (higher is better), or None when it has none.

    By submission time every application has the same merit (0): the order is the ties'."""
    by = spec.get("by") if isinstance(spec, dict) else None
    if by == "expert_score":
        return _number(context.get("expert_score"))
    if by == "formula":
        return _evaluate(str(spec.get("expression", "")), context)
    return Decimal(0)


def tie_values(spec: Any, context: dict[str, Any]) -> list[Decimal | None]:
    """The values of the tie-breaks other than submission time (higher first), in order."""
    out: list[Decimal | None] = []
    for item in (spec.get("tie_breaks") or []) if isinstance(spec, dict) else []:
        if item == "expert_score":
            out.append(_number(context.get("expert_score")))
        elif isinstance(item, str) and item.startswith("fields."):
            out.append(_number(context["fields"].get(item.removeprefix("fields."))))
    return out


def sort_key(
    spec: Any,
    *,
    merit_value: Decimal | None,
    ties: list[Decimal | None],
    submitted_at: dt.datetime | None,
    pk: int,
) -> tuple[Any, ...]:
    """Best first when sorted ascending: merit (None last), each tie-break, submission time."""
    key: list[Any] = [(merit_value is None, -(merit_value or 0))]
    items = (spec.get("tie_breaks") or []) if isinstance(spec, dict) else []
    values = iter(ties)
    for item in items:
        if item == "submitted_at":
            key.append((submitted_at is None, submitted_at or LATEST))
        else:
            value = next(values, None)
            key.append((value is None, -(value or 0)))
    key.append((submitted_at is None, submitted_at or LATEST))
    key.append(pk)
    return tuple(key)
