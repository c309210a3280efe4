"""The random, conflict-free expert draw as a pure function: same inputs and seed, same result.

The pool is put in a fixed order (expert id), shuffled with ``random.Random(seed)``,
and walked: a conflicted expert is skipped with its reason, the others are taken
until ``n`` are drawn. Everything it needs is stored on ``experts.models.ExpertDraw``, so anyone can
replay a recorded draw and get the same experts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class DrawResult:
    drawn: list[int] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)


def draw_experts(candidates: list[int], conflicts: dict[str, str], n: int, seed: str) -> DrawResult:
    """``candidates``: expert ids; ``conflicts``: expert id (as text) → reason. Takes at most ``n``."""
    order = sorted(candidates)
    random.Random(seed).shuffle(order)
    result = DrawResult()
    for expert_id in order:
        if len(result.drawn) == n:
            break
        reason = conflicts.get(str(expert_id))
        if reason:
            result.skipped.append({"expert": expert_id, "reason": reason})
            continue
        result.drawn.append(expert_id)
    return result
