"""The plan's appendix table as data: ``indicators/data/indicators.json`` (read by migration 0003
and ``seed_demo``; runtime code never reads it).

The JSON holds the appendix's words as they are (``indicators/data/appendix.tsv`` is the
appendix itself, copied from ``../shared/domain/appendix.tsv``; a test holds one against the
other), each year's target with its scope, and each indicator's source.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
FIELDS = (
    "number",
    "name",
    "name_en",
    "unit",
    "unit_en",
    "requirement",
    "target_text",
    "kind",
    "targets",
    "source",
)


def plan_rows() -> list[dict[str, Any]]:
    document = json.loads((DATA / "indicators.json").read_text(encoding="utf-8"))
    rows = []
    for item in document["indicators"]:
        row = {key: item[key] for key in FIELDS if key in item}
        row["target_text"] = item["target"]
        row["code"] = item["code"]
        rows.append(row)
    return rows


def seed_indicators(Indicator) -> None:
    """Create missing indicators; an administrator's later edits of existing ones are kept."""
    for row in plan_rows():
        code = row.pop("code")
        if not Indicator.objects.filter(code=code).exists():
            Indicator.objects.filter(number=row["number"]).delete()
            Indicator.objects.create(code=code, **row)


def reset_to_plan(Indicator) -> None:
    """Every indicator as the appendix states it (migration 0003: the earlier seed had shortened
    names, wrong units and no 要求/目标值); a changed definition gets a new version."""
    for row in plan_rows():
        code = row.pop("code")
        existing = Indicator.objects.filter(code=code).first()
        if existing is None:
            Indicator.objects.filter(number=row["number"]).delete()
            Indicator.objects.create(code=code, **row)
            continue
        for key, value in row.items():
            setattr(existing, key, value)
        existing.version = (existing.version or 1) + 1
        existing.save()
