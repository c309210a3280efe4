from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    baseline: float | None
    notes: str
    ratio: float | None = None

    def __post_init__(self) -> None:
        if self.baseline:
            self.ratio = round(self.value / self.baseline, 3)
        self.value = round(self.value, 3)
        if self.baseline is not None:
            self.baseline = round(self.baseline, 3)

    def as_dict(self) -> dict:
        data = asdict(self)
        return {k: data[k] for k in ("name", "value", "unit", "baseline", "ratio", "notes")}


def median_ms(fn: Callable[[int], object], repeat: int, warmup: int = 5) -> float:
    """Median wall time of ``fn(i)`` in milliseconds; ``i`` counts from 0 over warm-up and measured calls."""
    for i in range(warmup):
        fn(i)
    samples = []
    for i in range(warmup, warmup + repeat):
        start = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)
