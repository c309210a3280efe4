"""Evaluating a rule set with zen-engine: verdicts, award, reasons in two languages, and the trace."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import zen

from rules.compiler import PLACEHOLDER, compile_graph
from rules.pyeval import Defer, compiled_for

CENT = Decimal("0.01")
_cache: dict[str, Any] = {}
_cache_lock = threading.Lock()
_engine = zen.ZenEngine()


def content_sha256(content: dict) -> str:
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def decision_for(content: dict, sha: str | None = None):
    """The compiled decision of a rule set, built once per content hash and process."""
    key = sha or content_sha256(content)
    decision = _cache.get(key)
    if decision is None:
        with _cache_lock:
            decision = _cache.get(key)
            if decision is None:
                decision = _engine.create_decision(
                    json.dumps(compile_graph(content), ensure_ascii=False)
                )
                _cache[key] = decision
    return decision


def yuan(fen_value: Any) -> str:
    if fen_value is None:
        return "—"
    amount = (Decimal(str(fen_value)) / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    return f"¥{amount:,.2f}"


def lookup(data: dict, path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


# Fact paths whose values are codes: a reason prints their label in its own language.
CODED = {"organization.kind", "program.allowed_org_kinds", "voucher.service", "fields.service"}
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


_labels: dict[tuple[Any, str], str] = {}


def label(code: Any, lang: str) -> str:
    """An organisation kind's or a registered code's name (a voucher's service) in ``lang``
    (cached per process: labels never change)."""
    key = (code, lang)
    cached = _labels.get(key)
    if cached is not None:
        return cached
    from django.utils import translation

    from grants.labels import choice_label
    from grants.models import OrganizationKind

    with translation.override("zh-hans" if lang == "zh" else "en"):
        try:
            text = str(OrganizationKind(code).label)
        except (ValueError, TypeError):
            text = choice_label(code)
    _labels[key] = text
    return text


_templates: dict[str, list[tuple[str, str]]] = {}


def _segments(template: str) -> list[tuple[str, str]]:
    """A reason template split once into (text, path) pairs: ``"认证费 {cost.counted_fen}"``
    → ``[("认证费 ", "cost.counted_fen")]`` (the last pair's path empty)."""
    segments = _templates.get(template)
    if segments is None:
        segments = []
        pos = 0
        for match in PLACEHOLDER.finditer(template):
            segments.append((template[pos : match.start()], match.group(1)))
            pos = match.end()
        segments.append((template[pos:], ""))
        _templates[template] = segments
    return segments


def render(template: str, data: dict, lang: str = "zh") -> str:
    return "".join(
        text + (_shown(path, lookup(data, path), lang) if path else "")
        for text, path in _segments(template)
    )


def _shown(path: str, value: Any, lang: str) -> str:
    """A value looked at, as a reason prints it."""
    if path.endswith("_fen"):
        return yuan(value)
    if path in CODED and value is not None:
        value = [label(v, lang) for v in value] if isinstance(value, list) else label(value, lang)
    if value is None:
        return "—"
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if lang == "zh" and isinstance(value, str) and ISO_DATE.match(value):
        year, month, day = value.split("-")  # dates as Chinese readers write them
        return f"{int(year)}年{int(month)}月{int(day)}日"
    if isinstance(value, list):
        return ("、" if lang == "zh" else ", ").join(map(str, value)) or "—"
    return str(value)


@dataclass
class Verdict:
    rule: str
    passed: bool | None
    severity: str
    reason_zh: str
    reason_en: str
    row: int | None
    looked_at: dict[str, Any] = field(default_factory=dict)

    def as_dict(self, version: str) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "version": version,
            "passed": self.passed,
            "severity": self.severity,
            "reason_zh": self.reason_zh,
            "reason_en": self.reason_en,
            "row": self.row,
            "looked_at": self.looked_at,
        }


@dataclass
class Outcome:
    verdicts: list[Verdict]
    award_fen: int | None
    trace: dict[str, Any]

    @property
    def award(self) -> Decimal | None:
        if self.award_fen is None:
            return None
        return (Decimal(self.award_fen) / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def _to_fen(value: Any) -> int | None:
    if value is None:
        return None
    return int(Decimal(str(value)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def evaluate(content: dict, facts: dict, *, sha: str | None = None, trace: bool = True) -> Outcome:
    key = sha or content_sha256(content)
    response = None
    compiled = compiled_for(content, key)  # Python, once per version and process
    if compiled is not None:
        try:
            response = compiled.evaluate(facts, trace=trace)
        except Defer:  # zen would fail, or might: it answers, as it always did
            response = None
    try:
        if response is None:
            response = decision_for(content, key).evaluate(facts, {"trace": trace, "max_depth": 10})
    except Exception as exc:  # a runtime error in a cell (e.g. a type the facts did not expect)
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
        return Outcome(
            [
                Verdict(
                    t["name"],
                    None,
                    "manual",
                    f"规则计算出错，需人工审核：{message}",
                    f"The rule could not be computed, needs manual review: {message}",
                    None,
                )
                for t in content["tables"]
            ],
            None,
            {"error": message},
        )
    result = response["result"]
    checks = result.get("checks") or {}
    award_fen = _to_fen(result.get("award_fen"))
    merged = {**facts, "award_fen": award_fen}
    traces = response.get("trace") or {}
    by_name = {node.get("name"): node for node in traces.values()} if trace else {}
    verdicts = []
    for table in content["tables"]:
        name = table["name"]
        got = checks.get(name) or {}
        raw_row = got.get("row")
        row_index = int(raw_row) if raw_row is not None else None
        looked_at = (by_name.get(name, {}).get("traceData") or {}).get("reference_map") or {}
        if row_index is None or row_index >= len(table["rows"]):
            fallback = table["fallback"]
            verdicts.append(
                Verdict(
                    name,
                    None,
                    "manual",
                    render(fallback["reason_zh"], merged),
                    render(fallback["reason_en"], merged, "en"),
                    None,
                    looked_at,
                )
            )
            continue
        row = table["rows"][row_index]
        passed = bool(got.get("passed"))
        verdicts.append(
            Verdict(
                name,
                passed,
                table["severity"],
                render(row["reason_zh"], merged),
                render(row["reason_en"], merged, "en"),
                row_index,
                looked_at,
            )
        )
    slim_trace = {
        name: {
            "row": (node.get("traceData") or {}).get("index"),
            "looked_at": (node.get("traceData") or {}).get("reference_map"),
            "performance": node.get("performance"),
        }
        for name, node in by_name.items()
        if name not in ("facts", "result")
    }
    return Outcome(verdicts, award_fen, slim_trace)
