"""Rule sets: validated on save, compiled to a GoRules JSON decision model for zen-engine.

A rule set is a list of decision tables a grant officer can read::

    {"tables": [{
        "name": "award", "label_zh": "奖励金额", "label_en": "Award amount", "severity": "block",
        "inputs": ["cost.counted_fen", "program.cap_fen"],
        "rows": [
          {"when": ["<= 0", ""], "passed": false,
           "reason_zh": "没有可计入奖励的认证费", "reason_en": "No certification fee to award"},
          {"when": ["> program.cap_fen", "!= null"], "passed": true, "set": {"award_fen": "program.cap_fen"},
           "reason_zh": "认证费 {cost.counted_fen} 超过上限 {program.cap_fen}，按上限核定", "reason_en": "..."}
        ],
        "fallback": {"reason_zh": "...", "reason_en": "..."}
    }]}

``when`` cells are zen unary tests on the column's input (empty: any value);
``set`` cells are zen expressions whose value becomes an output (only
``award_fen`` today). Reasons are templates: ``{path}`` is replaced by the
value looked at, money paths (``…_fen``) printed as ``¥35,000.00``.

The engine's pitfalls and what is done about them:
1. a syntax error in a cell, or a misspelt field path, would silently never
   match: every cell is compiled and every path is checked against the JSON
   Schema of the facts when the rule set is saved, and the message names the
   cell; each table ends with a fallback row that says "needs manual review"
   (severity ``manual``), never a silent fail;
2. function (JavaScript) nodes run code: this format has no way to express
   one, and a JDM graph given directly is refused unless every node type is
   in ``ALLOWED_NODE_TYPES``;
3. the binding refuses ``Decimal``: facts carry money as integer fen.
Runaway expressions are bounded: range literals are limited to
``MAX_RANGE`` elements with literal bounds, expressions to ``MAX_CELL``
characters and at most ``MAX_NESTING`` nested closures, and test cases run
in a child process with a time limit before a version can be activated.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import zen

SEVERITIES = ("block", "warn", "manual")
ALLOWED_NODE_TYPES = {"inputNode", "outputNode", "decisionTableNode"}
OUTPUTS = {"award_fen"}
MAX_CELL = 500
MAX_RANGE = 10_000
MAX_NESTING = 2
MAX_TABLES = 40
MAX_ROWS = 200
NAME = re.compile(r"^[a-z][a-z0-9_]{0,49}$")

KEYWORDS = {"true", "false", "null", "and", "or", "not", "in", "$", "#"}
FUNCTIONS_WITH_CLOSURE = {"map", "filter", "some", "all", "none", "one", "count", "flatMap"}
_STRING = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`(?:[^`\\]|\\.)*`")
_IDENT = re.compile(r"(?<![\w.$#])([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)(\s*\()?")
_RANGE = re.compile(r"[\[\(]\s*([^\[\]\(\),]*?)\s*\.\.\s*([^\[\]\(\),]*?)\s*[\]\)]")


@dataclass(frozen=True)
class CellError:
    cell: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.cell, "message": self.message}


class RuleSetInvalid(Exception):
    def __init__(self, errors: list[CellError]):
        super().__init__("; ".join(f"{e.cell}: {e.message}" for e in errors))
        self.errors = errors


# ---------------------------------------------------------------- schema paths


def schema_paths(schema: dict, prefix: str = "") -> set[str]:
    """Every dotted path the schema allows (objects and leaves)."""
    paths: set[str] = set()
    options = schema.get("anyOf", [schema])
    for option in options:
        for key, sub in (option.get("properties") or {}).items():
            path = f"{prefix}.{key}" if prefix else key
            paths.add(path)
            paths |= schema_paths(sub, path)
    return paths


def referenced_paths(expression: str) -> list[str]:
    """Field paths an expression reads (string literals, functions and keywords removed)."""
    text = _STRING.sub("''", expression)
    paths = []
    for match in _IDENT.finditer(text):
        name, call = match.group(1), match.group(2)
        if call or name in KEYWORDS:
            continue
        paths.append(name)
    return paths


def _zen_error(exc: Exception) -> str:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
    try:
        return json.loads(first).get("source", first)
    except (ValueError, AttributeError):
        return first


def _bounded(expression: str) -> str | None:
    if len(expression) > MAX_CELL:
        return f"longer than {MAX_CELL} characters"
    for low, high in _RANGE.findall(_STRING.sub("''", expression)):
        if not (re.fullmatch(r"-?\d+", low or "") and re.fullmatch(r"-?\d+", high or "")):
            return "a range needs whole-number literal bounds"
        if abs(int(high) - int(low)) > MAX_RANGE:
            return f"a range may have at most {MAX_RANGE} elements"
    depth = 0
    for name in re.findall(r"\b(" + "|".join(FUNCTIONS_WITH_CLOSURE) + r")\s*\(", expression):
        depth += 1 if name else 0
    if depth > MAX_NESTING:
        return f"at most {MAX_NESTING} map/filter-style functions in one cell"
    return None


def expression_problem(expression: str) -> str | None:
    """Why an expression is refused before it is compiled (too long, a range too wide, too
    many nested closures), or None."""
    return _bounded(expression)


def check_cell(
    expression: str, *, unary: bool, known: set[str], cell: str, input_path: str | None = None
):
    """Compile one cell and check the paths it names; return a CellError or None."""
    if not isinstance(expression, str):
        return CellError(cell, "must be text")
    expression = expression.strip()
    if expression == "":
        return None
    problem = _bounded(expression)
    if problem:
        return CellError(cell, problem)
    try:
        if unary:
            zen.compile_unary_expression(expression)
        else:
            zen.compile_expression(expression)
    except Exception as exc:  # zen raises a plain exception carrying a JSON message
        return CellError(cell, f"syntax error: {_zen_error(exc)}")
    for path in referenced_paths(expression):
        if path not in known:
            return CellError(cell, f"unknown field “{path}”")
    return None


# ---------------------------------------------------------------- validation


def _text(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def validate(content: Any, schema: dict) -> list[CellError]:
    """Every problem of a rule set, each naming its cell (``tables[2].rows[0].when[1]``)."""
    errors: list[CellError] = []
    if not isinstance(content, dict) or not isinstance(content.get("tables"), list):
        return [CellError("tables", "a rule set is an object with a list of tables")]
    if "graph" in content or "nodes" in content:
        errors.extend(validate_graph(content.get("graph", content)))
    known = schema_paths(schema)
    tables = content["tables"]
    if not tables:
        errors.append(CellError("tables", "at least one table"))
    if len(tables) > MAX_TABLES:
        errors.append(CellError("tables", f"at most {MAX_TABLES} tables"))
    names: set[str] = set()
    produced: set[str] = set()
    for t, table in enumerate(tables):
        where = f"tables[{t}]"
        if not isinstance(table, dict):
            errors.append(CellError(where, "a table is an object"))
            continue
        unknown_keys = set(table) - {
            "name",
            "label_zh",
            "label_en",
            "severity",
            "inputs",
            "rows",
            "fallback",
            "type",
        }
        if "type" in table and table["type"] != "decisionTable":
            errors.append(
                CellError(
                    f"{where}.type",
                    f"node type “{table['type']}” is not allowed; only decision tables",
                )
            )
        if unknown_keys:
            errors.append(CellError(where, f"unknown keys: {', '.join(sorted(unknown_keys))}"))
        name = table.get("name")
        if not isinstance(name, str) or not NAME.match(name):
            errors.append(
                CellError(f"{where}.name", "lower-case letters, digits and _; starts with a letter")
            )
        elif name in names:
            errors.append(CellError(f"{where}.name", f"“{name}” is used twice"))
        else:
            names.add(name)
        for key in ("label_zh", "label_en"):
            if not _text(table.get(key)):
                errors.append(CellError(f"{where}.{key}", "required"))
        if table.get("severity") not in SEVERITIES:
            errors.append(CellError(f"{where}.severity", f"one of {', '.join(SEVERITIES)}"))
        inputs = table.get("inputs")
        if not isinstance(inputs, list) or not inputs:
            errors.append(CellError(f"{where}.inputs", "a non-empty list of field paths"))
            inputs = []
        visible = known | produced
        for i, path in enumerate(inputs):
            if not isinstance(path, str) or path not in visible:
                errors.append(CellError(f"{where}.inputs[{i}]", f"unknown field “{path}”"))
        rows = table.get("rows")
        if not isinstance(rows, list) or not rows:
            errors.append(CellError(f"{where}.rows", "at least one row"))
            rows = []
        if len(rows) > MAX_ROWS:
            errors.append(CellError(f"{where}.rows", f"at most {MAX_ROWS} rows"))
        own_outputs = {
            k
            for row in rows
            if isinstance(row, dict) and isinstance(row.get("set"), dict)
            for k in row["set"]
            if k in OUTPUTS
        }
        for r, row in enumerate(rows):
            cell = f"{where}.rows[{r}]"
            if not isinstance(row, dict):
                errors.append(CellError(cell, "a row is an object"))
                continue
            extra = set(row) - {"when", "passed", "set", "reason_zh", "reason_en"}
            if extra:
                errors.append(CellError(cell, f"unknown keys: {', '.join(sorted(extra))}"))
            when = row.get("when")
            if not isinstance(when, list) or len(when) != len(inputs):
                errors.append(CellError(f"{cell}.when", f"one condition per input ({len(inputs)})"))
                when = []
            for c, expression in enumerate(when):
                error = check_cell(expression, unary=True, known=visible, cell=f"{cell}.when[{c}]")
                if error:
                    errors.append(error)
            if not isinstance(row.get("passed"), bool):
                errors.append(CellError(f"{cell}.passed", "true or false"))
            for key in ("reason_zh", "reason_en"):
                if not _text(row.get(key)):
                    errors.append(CellError(f"{cell}.{key}", "required"))
                else:
                    errors.extend(_check_template(row[key], visible | own_outputs, f"{cell}.{key}"))
            sets = row.get("set") or {}
            if not isinstance(sets, dict):
                errors.append(CellError(f"{cell}.set", "an object of outputs"))
                sets = {}
            for output, expression in sets.items():
                if output not in OUTPUTS:
                    errors.append(
                        CellError(
                            f"{cell}.set.{output}", f"unknown output; allowed: {', '.join(OUTPUTS)}"
                        )
                    )
                    continue
                error = check_cell(
                    expression, unary=False, known=visible, cell=f"{cell}.set.{output}"
                )
                if error:
                    errors.append(error)
                produced.add(output)
        fallback = table.get("fallback")
        if not isinstance(fallback, dict):
            errors.append(
                CellError(f"{where}.fallback", "a fallback row (needs manual review) is required")
            )
        else:
            for key in ("reason_zh", "reason_en"):
                if not _text(fallback.get(key)):
                    errors.append(CellError(f"{where}.fallback.{key}", "required"))
                else:
                    errors.extend(
                        _check_template(
                            fallback[key], visible | own_outputs, f"{where}.fallback.{key}"
                        )
                    )
    return errors


PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")


def _check_template(template: str, known: set[str], cell: str) -> list[CellError]:
    return [
        CellError(cell, f"unknown field “{p}” in the reason")
        for p in PLACEHOLDER.findall(template)
        if p not in known
    ]


def validate_graph(graph: Any) -> list[CellError]:
    """A JDM graph given as such may only use allowed node types (never function/JavaScript nodes)."""
    if not isinstance(graph, dict):
        return [CellError("graph", "a graph is an object")]
    errors = []
    for n, node in enumerate(graph.get("nodes") or []):
        kind = node.get("type") if isinstance(node, dict) else None
        if kind not in ALLOWED_NODE_TYPES:
            errors.append(
                CellError(
                    f"graph.nodes[{n}]",
                    f"node type “{kind}” is not allowed; only {', '.join(sorted(ALLOWED_NODE_TYPES))}",
                )
            )
    return errors


# ---------------------------------------------------------------- compilation


def compile_graph(content: dict) -> dict:
    """The JDM graph: input → every table → output; a table reading another table's output follows it."""
    nodes: list[dict] = [
        {"id": "input", "name": "facts", "type": "inputNode", "position": {"x": 0, "y": 0}}
    ]
    edges: list[dict] = []
    producer: dict[str, str] = {}
    for t, table in enumerate(content["tables"]):
        node_id = f"t{t}"
        inputs = table["inputs"]
        outputs = [f"checks.{table['name']}.row", f"checks.{table['name']}.passed"]
        set_keys = sorted({k for row in table["rows"] for k in (row.get("set") or {})})
        outputs += set_keys
        rules = []
        for r, row in enumerate([*table["rows"], None]):
            rule: dict[str, str] = {"_id": f"{node_id}r{r}"}
            for c in range(len(inputs)):
                rule[f"{node_id}i{c}"] = "" if row is None else (row["when"][c] or "").strip()
            rule[f"{node_id}o0"] = str(r)
            rule[f"{node_id}o1"] = "null" if row is None else ("true" if row["passed"] else "false")
            for k, key in enumerate(set_keys, start=2):
                rule[f"{node_id}o{k}"] = "" if row is None else (row.get("set") or {}).get(key, "")
            rules.append(rule)
        nodes.append(
            {
                "id": node_id,
                "name": table["name"],
                "type": "decisionTableNode",
                "position": {"x": 0, "y": 0},
                "content": {
                    "hitPolicy": "first",
                    "inputs": [
                        {"id": f"{node_id}i{c}", "name": p, "field": p}
                        for c, p in enumerate(inputs)
                    ],
                    "outputs": [
                        {"id": f"{node_id}o{k}", "name": o, "field": o}
                        for k, o in enumerate(outputs)
                    ],
                    "rules": rules,
                    "passThrough": False,
                    "inputField": None,
                    "outputPath": None,
                    "executionMode": "single",
                },
            }
        )
        sources = {"input"} | {producer[p] for p in inputs if p in producer}
        for row in table["rows"]:
            for cell in row["when"]:
                sources |= {producer[p] for p in referenced_paths(cell or "") if p in producer}
            for expression in (row.get("set") or {}).values():
                sources |= {producer[p] for p in referenced_paths(expression) if p in producer}
        for source in sorted(sources):
            edges.append(
                {
                    "id": f"e{source}_{node_id}",
                    "sourceId": source,
                    "targetId": node_id,
                    "type": "edge",
                }
            )
        for key in set_keys:
            producer[key] = node_id
    nodes.append(
        {"id": "output", "name": "result", "type": "outputNode", "position": {"x": 0, "y": 0}}
    )
    for node in nodes[1:-1]:
        edges.append(
            {
                "id": f"e{node['id']}_output",
                "sourceId": node["id"],
                "targetId": "output",
                "type": "edge",
            }
        )
    return {"nodes": nodes, "edges": edges}
