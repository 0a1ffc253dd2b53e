"""Timing helpers shared by the benchmark suites: whole-process runs and a table."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Mapping, Sequence

import attrs


@attrs.frozen
class Result:
    name: str
    samples_ms: tuple[float, ...]
    goal: str = ""
    passed: bool | None = None

    @property
    def minimum(self) -> float:
        return min(self.samples_ms)

    @property
    def median(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def maximum(self) -> float:
        return max(self.samples_ms)


def time_process(
    argv: Sequence[str], *, runs: int, env: Mapping[str, str] | None = None
) -> tuple[float, ...]:
    """Wall-clock milliseconds of ``runs`` complete runs of a command (after one warm-up)."""
    # Measure an installation as users have it: bytecode cached after the warm-up run
    # (pip compiles on install; a developer shell may forbid writing .pyc files).
    full_env = {
        k: v for k, v in {**os.environ, **(env or {})}.items() if k != "PYTHONDONTWRITEBYTECODE"
    }
    subprocess.run(argv, env=full_env, check=True, capture_output=True)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, env=full_env, check=True, capture_output=True)
        samples.append((time.perf_counter() - start) * 1000)
    return tuple(samples)


def print_table(title: str, results: Sequence[Result]) -> None:
    header = ("benchmark", "min ms", "median ms", "max ms", "goal", "met")
    rows = [
        (
            r.name,
            f"{r.minimum:.1f}",
            f"{r.median:.1f}",
            f"{r.maximum:.1f}",
            r.goal or "-",
            {True: "yes", False: "NO", None: "-"}[r.passed],
        )
        for r in results
    ]
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=False)]
    print(f"\n{title}")
    for i, row in enumerate((header, *rows)):
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)) + " |")
        if i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
