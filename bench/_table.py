"""The table the backend benchmarks print: one column per backend and, with two, their ratio."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from rich.table import Table


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


class SideBySide:
    """Rows of one measure per backend; with exactly two backends, a last column of second / first."""

    def __init__(self, title: str, backends: Sequence[str], ratio_label: str = "es / sqlite") -> None:
        self.table = Table(title=title)
        self.table.add_column("measure")
        for name in backends:
            self.table.add_column(name, justify="right")
        self.both = len(backends) == 2
        if self.both:
            self.table.add_column(ratio_label, justify="right")

    def row(self, label: str, values: Sequence[float], fmt: str) -> None:
        ratio = [f"{values[1] / values[0]:.2f}"] if self.both else []
        self.table.add_row(label, *(format(v, fmt) for v in values), *ratio)
