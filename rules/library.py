"""The rule sets fundflow ships, as data: ``rules/data/<name>.json``, read here.

Each file holds ``content`` (the decision tables, as stored in a ``RuleSetVersion``)
and, for a programme's rule set, ``test_cases``. Test cases name dates relative to
the programme year: ``{year}``, ``{year+3}``, ``{year-1}`` inside a string are
replaced by that year. An administrator changes a seeded rule set in the admin as
a new version; these files only give version 1 (``seed_demo``) and the voucher
issuing rules (``voucher-issue``), which no administrator edits.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
_YEAR = re.compile(r"\{year(?:([+-])(\d+))?\}")


@cache
def _read(name: str) -> dict[str, Any]:
    path = DATA / f"{name}.json"
    if path.parent != DATA or not path.is_file():
        raise LookupError(f"no rule set “{name}” in {DATA}")
    return json.loads(path.read_text(encoding="utf-8"))


def names() -> list[str]:
    """The rule sets shipped as data (file names without ``.json``)."""
    return sorted(p.stem for p in DATA.glob("*.json"))


def rule_set(name: str) -> dict[str, Any]:
    """The decision tables of rule set ``name`` (a fresh copy: callers may change it)."""
    return copy.deepcopy(_read(name)["content"])


def test_cases(name: str, *, year: int) -> list[dict[str, Any]]:
    """The test cases of rule set ``name`` for programme ``year``."""

    def at(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: at(v) for k, v in value.items()}
        if isinstance(value, list):
            return [at(v) for v in value]
        if isinstance(value, str):
            return _YEAR.sub(lambda m: str(year + int(f"{m[1]}{m[2]}" if m[1] else 0)), value)
        return value

    return at(_read(name).get("test_cases", []))


def voucher_issue_rule_set() -> dict[str, Any]:
    """Who may receive a voucher: evaluated on ``{"organization": {kind, is_sme, district, city}}``."""
    return rule_set("voucher-issue")
