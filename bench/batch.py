"""Scan-station benchmark: a stack of N scanned pages (dossiers behind cover sheets, some blank backs) from
capture to searchable, end to end through the command a scan station runs (`sohoa batch`), against plain
`sohoa ingest` of the same PDF as one document (the same pages read, no cutting) in the same run. Prints
pages per minute and the peak memory of the largest process (the command or one of its workers).

    .venv/bin/python bench/batch.py --pages 100
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console

from _table import SideBySide
from sohoa.samples.scangen import write_pdf
from sohoa.samples.stacks import long_stack

SOHOA = str(Path(sys.executable).parent / "sohoa")


def run(args: list[str], data: Path) -> tuple[float, float]:
    """Wall seconds, and peak resident MiB of the largest process it started."""
    env = {**os.environ, "SOHOA_DATA_DIR": str(data)}
    start = time.perf_counter()
    # Each measured command runs under its own short-lived parent, so RUSAGE_CHILDREN is its own figure.
    probe = (
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
        "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, *args], env=env, capture_output=True, text=True, check=True
    )
    return time.perf_counter() - start, int(out.stdout.strip()) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sohoa-bench-batch-") as tmp_name:
        tmp = Path(tmp_name)
        images, truth = long_stack(args.pages, seed=11)
        stack = tmp / "stack.pdf"
        write_pdf(images, stack)
        n = len(images)
        batch_wall, batch_mem = run([SOHOA, "batch", str(stack)], tmp / "batch")
        ingest_wall, ingest_mem = run([SOHOA, "ingest", str(stack)], tmp / "ingest")
    table = SideBySide(
        f"{n} scanned pages ({len(truth.groups)} dossiers, {len(truth.blanks)} blank backs), "
        f"{os.cpu_count()} cores, capture to searchable",
        ["sohoa ingest (peer)", "sohoa batch"],
        ratio_label="batch / ingest",
    )
    table.row("wall time, s", [ingest_wall, batch_wall], ".1f")
    table.row("pages per minute", [n / ingest_wall * 60, n / batch_wall * 60], ".1f")
    table.row("peak memory of one process, MiB", [ingest_mem, batch_mem], ".0f")
    Console().print(table.table)


if __name__ == "__main__":
    main()
