from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
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


def interleaved_ms(
    fns: dict[str, Callable[[int], object]], repeat: int, warmup: int = 3
) -> dict[str, list[float]]:
    """Samples (ms) of several contenders, called in turn (a, b, c, a, b, c, …) so that the
    noise of a shared machine falls on all of them alike; ``i`` counts like ``median_ms``."""
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for i in range(warmup + repeat):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn(i)
            if i >= warmup:
                samples[name].append((time.perf_counter() - start) * 1000)
    return samples


def percentile(samples: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank) of ``samples``."""
    ordered = sorted(samples)
    if not ordered:
        return 0.0
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def sample_ms(
    fn: Callable[[], object], count: int, budget_s: float, warmup: int = 2, least: int = 5
) -> list[float]:
    """Up to ``count`` timings (ms) of ``fn()``, stopping once ``budget_s`` seconds are spent
    (after at least ``least`` of them; 3, and one warm-up, when a call takes a fifth of the
    budget): a slow page cannot stretch the run unboundedly."""
    for _ in range(warmup):
        start = time.perf_counter()
        fn()
        if time.perf_counter() - start > budget_s / 5:
            least = min(least, 3)
            break
    samples: list[float] = []
    deadline = time.perf_counter() + budget_s
    while len(samples) < count and (len(samples) < least or time.perf_counter() < deadline):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


@contextmanager
def celery_not_eager() -> Iterator[None]:
    """Tasks go to the broker as in production (a worker would run them, not the request);
    whatever was queued is purged afterwards. The test settings run them eagerly."""
    from config.celery import app as celery_app

    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = eager
        celery_app.control.purge()
