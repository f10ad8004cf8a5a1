"""Medians with their spread, and the one results table the benchmarks print."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Spread:
    """The median of repeated measurements, with the smallest and largest."""

    median: float
    low: float
    high: float
    n: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        if not values:
            raise ValueError("no measurements")
        return cls(statistics.median(values), min(values), max(values), len(values))

    def show(self, digits: int = 2, unit: str = "") -> str:
        def fmt(value: float) -> str:
            return f"{value:.{digits}f}{unit}"

        if self.n == 1:
            return f"{fmt(self.median)} (n=1)"
        return f"{fmt(self.median)} ({fmt(self.low)} to {fmt(self.high)}, n={self.n})"


def ratios(numerators: Sequence[float], denominators: Sequence[float]) -> Spread:
    """Per-repetition ratios of interleaved measurements (repetition i against repetition i)."""
    if len(numerators) != len(denominators):
        raise ValueError("ratios need as many numerators as denominators")
    return Spread.of([n / d for n, d in zip(numerators, denominators, strict=True)])


@dataclass(frozen=True)
class Row:
    figure: str
    measured: str
    reference: str = ""
    goal: str = ""
    verdict: str = ""


def verdict(value: float, limit: float) -> str:
    return "met" if value <= limit else "missed"


def table(rows: Sequence[Row]) -> str:
    """A Markdown table: printed by the benchmark, pasted as is into the README."""
    header = ("#", "figure", "measured: median (min to max, n)", "reference", "goal", "")
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for number, row in enumerate(rows, 1):
        cells = (str(number), row.figure, row.measured, row.reference, row.goal, row.verdict)
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines)
