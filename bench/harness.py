"""A small harness every benchmark uses: repeated timings, medians, percentiles, side-by-side ratios.

Machines here are noisy, so a benchmark always measures its subject and a baseline in the same process,
interleaved, and reports medians and the ratio between them rather than single numbers.
"""

from __future__ import annotations

import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Timings:
    """Seconds per run, in the order measured."""

    name: str
    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile, ``p`` in 0..100."""
        ordered = sorted(self.samples)
        rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
        return ordered[rank - 1]


def time_call(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def compare(
    subject: tuple[str, Callable[[], object]],
    baseline: tuple[str, Callable[[], object]],
    *,
    repeat: int = 20,
    warmup: int = 2,
) -> tuple[Timings, Timings]:
    """Time ``subject`` and ``baseline`` alternately ``repeat`` times each (after ``warmup`` runs)."""
    results = (Timings(subject[0]), Timings(baseline[0]))
    for _ in range(warmup):
        subject[1]()
        baseline[1]()
    for _ in range(repeat):
        results[0].samples.append(time_call(subject[1]))
        results[1].samples.append(time_call(baseline[1]))
    return results


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def report(title: str, rows: list[tuple[str, str, str]], *, note: str = "") -> str:
    """Print and return a plain table: (measure, subject/baseline figures, ratio)."""
    width = max((len(r[0]) for r in rows), default=10)
    out = [f"{title}  [{platform.machine()}, {platform.python_version()}]"]
    for name, figures, ratio in rows:
        out.append(f"  {name.ljust(width)}  {figures}  {ratio}")
    if note:
        out.append(f"  {note}")
    text = "\n".join(out)
    print(text, flush=True)
    return text


def ratio_row(subject: Timings, baseline: Timings) -> tuple[str, str, str]:
    """One row: both medians and subject/baseline."""
    return (
        subject.name,
        f"median {ms(subject.median)} vs {baseline.name} {ms(baseline.median)}",
        f"ratio {subject.median / baseline.median:.2f}x",
    )
