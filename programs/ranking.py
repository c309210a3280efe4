"""Merit (择优) of an application under its programme's ranking, for the merit queue and every
ranking page: the expert score (``experts``) or the programme's formula (``rules.ranking``,
evaluated by zen-engine), never the award amount.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from experts.services import application_score
from grants.models import Application, Program
from rules import ranking as spec


@dataclass(frozen=True)
class Ranked:
    """An application with its merit and the key it is sorted by (best first)."""

    application: Application
    merit: Decimal | None
    expert_score: Decimal | None
    key: tuple[Any, ...]
    rank: int = 0


def field_types(program: Program) -> dict[str, str]:
    return {f.name: f.type for f in program.fields.all()}


def _context(
    application: Application, types: dict[str, str], score: Decimal | None
) -> dict[str, Any]:
    return spec.ranking_context(
        field_types=types,
        values=application.fields or {},
        expert_score=score,
        is_sme=application.organization.is_sme,
    )


def _needs_score(program: Program) -> bool:
    ranking = program.ranking or {}
    return (
        ranking.get("by") == "expert_score"
        or "expert_score" in (ranking.get("tie_breaks") or [])
        or "expert_score" in str(ranking.get("expression", ""))
    )


def merit_for(application: Application) -> Decimal | None:
    """The application's merit (higher is better; None: none could be computed)."""
    program = application.program
    score = application_score(application) if _needs_score(program) else None
    return spec.merit(program.ranking, _context(application, field_types(program), score))


def ranked(program: Program, applications: list[Application]) -> list[Ranked]:
    """``applications`` best first under the programme's ranking, each with its place (1…)."""
    types = field_types(program)
    needs_score = _needs_score(program)
    rows = []
    for app in applications:
        score = application_score(app) if needs_score else None
        context = _context(app, types, score)
        value = spec.merit(program.ranking, context)
        key = spec.sort_key(
            program.ranking,
            merit_value=value,
            ties=spec.tie_values(program.ranking, context),
            submitted_at=app.submitted_at,
            pk=app.pk,
        )
        rows.append(Ranked(application=app, merit=value, expert_score=score, key=key))
    rows.sort(key=lambda r: r.key)
    return [
        Ranked(r.application, r.merit, r.expert_score, r.key, rank=i)
        for i, r in enumerate(rows, start=1)
    ]
