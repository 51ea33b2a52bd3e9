"""What every benchmark reports: a measurement against a baseline from the same run."""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Ratio:
    """One comparison: ours against the baseline, with the goal it is judged by."""

    name: str
    ours: float
    baseline: float
    unit: str
    goal: str

    @property
    def ratio(self) -> float:
        """ours / baseline."""
        return self.ours / self.baseline if self.baseline else float("inf")

    def line(self) -> str:
        """One printable line."""
        return (f"{self.name}: ours {self.ours:,.2f} {self.unit}, baseline {self.baseline:,.2f} "
                f"{self.unit}, ratio {self.ratio:.2f} (goal: {self.goal})")


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    """Run ``fn`` and return its result and the wall seconds it took."""
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def peak_rss_mb_of_children() -> float:
    """Peak resident memory of finished child processes, in MB (for subprocess baselines)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def child_env() -> dict[str, str]:
    """The environment of a measuring child: this one, with the repository importable."""
    return {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
