"""Rule sets compiled once per version and process into Python, for the cells zen-engine
would evaluate the same way.

zen-engine stays the reference: the rule set is validated and its test cases run with it,
and any rule set with a cell outside the subset below is evaluated by zen. The subset is
what grant officers write: literals (``"650100"``, ``0``, ``null``, ``true``), lists of
literals (``"a", "b"``), comparisons with a leading operator (``> program.cap_fen``),
and expressions over ``$`` and fact paths with ``and``, ``or``, ``not(…)``, ``in``,
``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``date(…)`` and ``len(…)``; ``set`` cells
are fact paths or literals.

Where zen would fail (comparing ``null`` or a string with ``>``, ``len(null)``,
``date`` of something that is not a date, ``in`` a non-list), the compiled cell raises
``Defer``, and that one evaluation is handed to zen, which then answers as it always
did. Every cell of every row is evaluated (no early exit), so a cell that would make zen
fail always defers. ``tests/rules/test_rules_python_compiled.py`` compares both on every
shipped rule set, its test cases and variations of their facts.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import threading
import time
from collections.abc import Callable
from typing import Any

Value = Any
Context = dict[str, Any]


class Unsupported(Exception):
    """The cell is outside the subset: zen evaluates this rule set."""


class Defer(Exception):
    """zen would fail on these facts (or might): hand this evaluation to zen."""


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<number>-?\d+(?:\.\d+)?(?![\w.]))
      | (?P<op>==|!=|<=|>=|<|>|\(|\)|,|\$)
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    )""",
    re.VERBOSE,
)
KEYWORDS = {"and", "or", "not", "in", "true", "false", "null"}
COMPARE = {"==", "!=", "<", "<=", ">", ">="}


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise Unsupported(text[pos:])
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def _unquote(raw: str) -> str:
    body = raw[1:-1]
    if "\\" in body:
        raise Unsupported(raw)  # escapes: leave them to zen
    return body


def _is_number(value: Value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _equal(left: Value, right: Value) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if _is_number(left) and _is_number(right):
        return bool(left == right)
    if type(left) is not type(right) and not (left is None or right is None):
        if isinstance(left, list | dict) or isinstance(right, list | dict):
            raise Defer
        return False
    if isinstance(left, list | dict):
        raise Defer
    return bool(left == right)


def _order(op: str, left: Value, right: Value) -> bool:
    if _is_number(left) and _is_number(right):
        pass
    elif isinstance(left, dt.date) and isinstance(right, dt.date):
        pass
    else:
        raise Defer  # zen: "Compare: Unsupported type"
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    return bool(left >= right)


def _date(value: Value) -> dt.date:
    if not isinstance(value, str):
        raise Defer
    return _parse_date(value)


@functools.lru_cache(maxsize=4096)
def _parse_date(text: str) -> dt.date:
    if not _DATE.fullmatch(text):
        raise Defer
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise Defer from None


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _len(value: Value) -> int:
    if isinstance(value, list | str):
        return len(value)
    raise Defer


def _in(item: Value, container: Value) -> bool:
    if not isinstance(container, list):
        raise Defer
    return any(_equal(item, member) for member in container)


def _truth(value: Value) -> bool:
    if not isinstance(value, bool):
        raise Defer  # zen's and/or/not take booleans
    return value


def L(context: Context, path: tuple[str, ...]) -> Value:  # noqa: N802  (short in generated code)
    value: Any = context
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _any_equal(value: Value, options: tuple[Value, ...]) -> bool:
    return any(_equal(value, option) for option in options)


class _Parser:
    """Python source for a zen expression of the subset; ``dollar`` names the column value."""

    def __init__(self, tokens: list[tuple[str, str]], dollar: str = "d") -> None:
        self.tokens = tokens
        self.pos = 0
        self.dollar = dollar

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise Unsupported(value or "end")
        self.pos += 1
        return token

    def done(self) -> bool:
        return self.pos == len(self.tokens)

    def expression(self) -> str:
        left = self.conjunction()
        while self.peek() == ("name", "or"):
            self.take()
            left = f"(_truth({left}) or _truth({self.conjunction()}))"
        return left

    def conjunction(self) -> str:
        left = self.negation()
        while self.peek() == ("name", "and"):
            self.take()
            left = f"(_truth({left}) and _truth({self.negation()}))"
        return left

    def negation(self) -> str:
        if self.peek() == ("name", "not"):
            self.take()
            self.take("(")
            inner = self.expression()
            self.take(")")
            return f"(not _truth({inner}))"
        return self.comparison()

    def comparison(self) -> str:
        left = self.primary()
        token = self.peek()
        if token is not None and token[0] == "op" and token[1] in COMPARE:
            self.take()
            return _compare(token[1], left, self.primary())
        if token == ("name", "in"):
            self.take()
            return f"_in({left}, {self.primary()})"
        return left

    def primary(self) -> str:
        kind, text = self.take()
        if kind == "string":
            return repr(_unquote(text))
        if kind == "number":
            return repr(float(text) if "." in text else int(text))
        if text == "$":
            return self.dollar
        if text == "(":
            inner = self.expression()
            self.take(")")
            return inner
        if kind == "name":
            if text in ("true", "false", "null"):
                return {"true": "True", "false": "False", "null": "None"}[text]
            if text in KEYWORDS:
                raise Unsupported(text)
            if self.peek() == ("op", "("):
                return self.call(text)
            return f"L(c, {tuple(text.split('.'))!r})"
        raise Unsupported(text)

    def call(self, name: str) -> str:
        if name not in ("date", "len"):
            raise Unsupported(name)
        self.take("(")
        argument = self.expression()
        self.take(")")
        return f"_{name}({argument})"


def _compare(op: str, left: str, right: str) -> str:
    if op == "==":
        return f"_equal({left}, {right})"
    if op == "!=":
        return f"(not _equal({left}, {right}))"
    return f"_order({op!r}, {left}, {right})"


def expression_source(text: str, dollar: str = "d") -> str:
    parser = _Parser(_tokens(text), dollar)
    source = parser.expression()
    if not parser.done():
        raise Unsupported(text)
    return source


def _split_top_level(tokens: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    parts: list[list[tuple[str, str]]] = [[]]
    depth = 0
    for token in tokens:
        if token[1] == "(":
            depth += 1
        elif token[1] == ")":
            depth -= 1
        if token == ("op", ",") and depth == 0:
            parts.append([])
        else:
            parts[-1].append(token)
    return parts


def unary_source(cell: str, dollar: str) -> str:
    """A ``when`` cell as zen reads it: a test of the column's value (``$``)."""
    text = (cell or "").strip()
    if not text:
        return "True"
    tokens = _tokens(text)
    if any(t == ("op", "$") for t in tokens):
        return f"_truth({expression_source(text, dollar)})"
    first = tokens[0]
    if first[0] == "op" and first[1] in COMPARE:
        parser = _Parser(tokens[1:], dollar)
        right = parser.comparison()
        if not parser.done():
            raise Unsupported(text)
        return _compare(first[1], dollar, right)
    values = []
    for part in _split_top_level(tokens):
        parser = _Parser(part, dollar)
        values.append(parser.primary())
        if not parser.done():
            raise Unsupported(text)
    if len(values) == 1:
        return f"_equal({dollar}, {values[0]})"
    return f"_any_equal({dollar}, ({', '.join(values)},))"


HELPERS: dict[str, Any] = {
    "L": L,
    "_equal": _equal,
    "_order": _order,
    "_date": _date,
    "_len": _len,
    "_in": _in,
    "_truth": _truth,
    "_any_equal": _any_equal,
}


def _table_source(number: int, table: dict[str, Any]) -> str:
    """One function per table: every cell of every row evaluated (zen's failures defer
    wherever they occur), the first matching row, its outputs, the values looked at."""
    inputs: list[str] = list(table["inputs"])
    lines = [f"def table_{number}(c):"]
    for i, path in enumerate(inputs):
        lines.append(f"    v{i} = L(c, {tuple(path.split('.'))!r})")
    lines.append("    first = -1")
    for r, row in enumerate(table["rows"]):
        names = []
        for i, cell in enumerate(row["when"]):
            lines.append(f"    r{r}c{i} = {unary_source(cell, f'v{i}')}")
            names.append(f"r{r}c{i}")
        condition = " and ".join(names) or "True"
        lines.append(f"    if first < 0 and {condition}:")
        lines.append(f"        first = {r}")
    set_keys = sorted({k for row in table["rows"] for k in (row.get("set") or {})})
    lines.append(f"    out = {{{', '.join(f'{k!r}: None' for k in set_keys)}}}")
    for r, row in enumerate(table["rows"]):
        outputs = row.get("set") or {}
        if outputs:
            lines.append(f"    if first == {r}:")
            for key, expr in outputs.items():
                lines.append(f"        out[{key!r}] = {expression_source(expr, 'None')}")
    looked = ", ".join(f"{path!r}: v{i}" for i, path in enumerate(inputs))
    lines.append(f"    return first, out, {{{looked}}}")
    return "\n".join(lines)


class CompiledRuleSet:
    def __init__(self, content: dict[str, Any]) -> None:
        self.names: list[str] = []
        self.passed: list[list[bool]] = []
        self.functions: list[
            Callable[[Context], tuple[int, dict[str, Value], dict[str, Value]]]
        ] = []
        namespace: dict[str, Any] = dict(HELPERS)
        for number, table in enumerate(content["tables"]):
            source = _table_source(number, table)
            exec(compile(source, f"<rule table {table['name']}>", "exec"), namespace)  # noqa: S102
            self.functions.append(namespace[f"table_{number}"])
            self.names.append(table["name"])
            self.passed.append([bool(row["passed"]) for row in table["rows"]])

    def evaluate(self, facts: dict[str, Any], *, trace: bool) -> dict[str, Any]:
        """zen's response shape: ``result`` (checks, outputs) and, with trace, per table."""
        context = dict(facts)
        checks: dict[str, dict[str, Any]] = {}
        traced: dict[str, Any] = {}
        outputs: dict[str, Value] = {}
        for name, passed, function in zip(self.names, self.passed, self.functions, strict=True):
            started = time.perf_counter() if trace else 0.0
            row, produced, looked_at = function(context)
            if row < 0:  # the fallback row: manual review, every output null
                row = len(passed)
            checks[name] = {"row": row, "passed": passed[row] if row < len(passed) else None}
            if produced:
                outputs.update(produced)
                context.update(produced)
            if trace:
                traced[name] = {
                    "name": name,
                    "traceData": {"index": row, "reference_map": looked_at},
                    "performance": f"{(time.perf_counter() - started) * 1e6:.1f}µs",
                }
        return {"result": {"checks": checks, **outputs}, "trace": traced}


_compiled: dict[str, CompiledRuleSet | None] = {}
_lock = threading.Lock()


def compiled_for(content: dict[str, Any], key: str) -> CompiledRuleSet | None:
    """The Python compilation of a rule set (None: a cell outside the subset), once per
    version and process."""
    if key in _compiled:
        return _compiled[key]
    with _lock:
        if key not in _compiled:
            try:
                _compiled[key] = CompiledRuleSet(content)
            except Unsupported:
                _compiled[key] = None
    return _compiled[key]
