"""Scaling-out benchmark: the same scanned stack digitized by `sohoa batch` (capture to searchable) with the
local process pool and with Celery workers, in the same run, on this machine. Four ways, each on a fresh data
folder and a fresh MinIO bucket (so only the executor differs; the index is each run's own SQLite file):

    local, 1 process      SOHOA_WORKERS=1
    local, 2 processes    SOHOA_WORKERS=2
    Celery, 1 worker      one `sohoa worker --concurrency 1`
    Celery, 2 workers     two `sohoa worker --concurrency 1`, each in a data folder of its own: they share
                          nothing but the broker and the object store, as two machines would

Workers are started, and ready, before the clock starts, on queues of their own (SOHOA_QUEUE_PREFIX), as
they are already running in production; the local pool starts inside the measured command, as it does in
every `sohoa batch` (its start-up weighs on short stacks: take the 60-page figures, not a smoke run's).
Prints pages per minute for each, Celery against local at equal cores (goal: Celery costs ≤ 10%) and the
growth from one worker to two (goal: ≥ 1.8×). MinIO and Redis are the running ones of deploy/services.sh
(`bash deploy/services.sh up` first; this never starts or stops them). Its buckets keep a one-day
retention and are left behind, as the suite's are.

    .venv/bin/python bench/workers.py --pages 60
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from _table import SideBySide
from sohoa.samples.scangen import write_pdf
from sohoa.samples.stacks import long_stack

SOHOA = str(Path(sys.executable).parent / "sohoa")
SERVICES = Path(__file__).resolve().parent.parent / "deploy" / "services.sh"
AGENCY = "000.00.00.DEMO"
NEEDED = ("SOHOA_MINIO_ENDPOINT", "SOHOA_MINIO_ACCESS_KEY", "SOHOA_MINIO_SECRET_KEY", "SOHOA_BROKER_URL")


@dataclass(frozen=True)
class Way:
    label: str
    executor: str  # local | celery
    processes: int  # pool processes (local) or worker processes of concurrency 1 (celery)


WAYS = [
    Way("local, 1 process", "local", 1),
    Way("local, 2 processes", "local", 2),
    Way("Celery, 1 worker", "celery", 1),
    Way("Celery, 2 workers", "celery", 2),
]


def services() -> dict[str, str]:
    """The `SOHOA_*` settings of the running services, as `deploy/services.sh env` prints them."""
    out = subprocess.run(["bash", str(SERVICES), "env"], capture_output=True, text=True, check=False)
    values = {}
    for line in out.stdout.splitlines():
        name, _, value = line.strip().removeprefix("export ").partition("=")
        if name.startswith("SOHOA_") and value:
            values[name] = shlex.split(value)[0]
    missing = [name for name in NEEDED if name not in values]
    if missing:
        sys.exit(f"deploy/services.sh env gave no {', '.join(missing)}: run `bash deploy/services.sh up`")
    return values


def start_worker(env: dict[str, str], folder: Path) -> subprocess.Popen[bytes]:
    """One `sohoa worker --concurrency 1` in a data folder of its own, returned once it says it is ready."""
    folder.mkdir(parents=True)
    log = folder / "worker.log"
    process = subprocess.Popen(
        [SOHOA, "worker", "--concurrency", "1"],
        env={**env, "SOHOA_DATA_DIR": str(folder / "data")},
        cwd=folder,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own group: stopping it stops its pool child too
    )
    deadline = time.monotonic() + 120
    while " ready." not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            sys.exit(f"sohoa worker did not start:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def digitize(way: Way, stack: Path, base: dict[str, str], folder: Path) -> float:
    """Wall seconds of `sohoa batch` on the stack, on a fresh bucket and data folder (and fresh workers)."""
    folder.mkdir(parents=True)
    env = {
        **base,
        "SOHOA_STORAGE": "minio",
        "SOHOA_SEARCH": "sqlite",
        "SOHOA_MINIO_BUCKET": f"bench-workers-{uuid.uuid4().hex[:12]}",
        "SOHOA_MINIO_RETENTION_DAYS": "1",
        "SOHOA_EXECUTOR": way.executor,
        "SOHOA_WORKERS": str(way.processes if way.executor == "local" else 1),
        "SOHOA_QUEUE_PREFIX": f"bench-{uuid.uuid4().hex[:12]}",
    }
    workers = []
    try:
        if way.executor == "celery":
            workers = [start_worker(env, folder / f"worker-{n}") for n in range(way.processes)]
        start = time.perf_counter()
        done = subprocess.run(
            [SOHOA, "batch", str(stack), "--agency", AGENCY],
            env={**env, "SOHOA_DATA_DIR": str(folder / "data")},
            cwd=folder,
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - start
    finally:
        for worker in workers:
            stop(worker)
    if done.returncode != 0:
        sys.exit(f"sohoa batch failed ({way.label}):\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return wall


def goal(label: str, value: float, target: float) -> tuple[str, str, str, str]:
    return label, f"{value:.2f}", f"≥ {target:.2f}", "reached" if value >= target else "not reached"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=60)
    parser.add_argument("--runs", type=int, default=1, help="runs of each way; the best one counts")
    args = parser.parse_args()
    base = {**os.environ, **services()}
    best: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="sohoa-bench-workers-") as tmp_name:
        tmp = Path(tmp_name)
        images, truth = long_stack(args.pages, seed=11)
        stack = tmp / "stack.pdf"
        write_pdf(images, stack)
        n = len(images)
        # Runs alternate between the ways, so a machine busier at one moment weighs on all of them.
        for run in range(args.runs):
            for i, way in enumerate(WAYS):
                wall = digitize(way, stack, base, tmp / f"run-{run}-{i}")
                best[way.label] = min(wall, best.get(way.label, wall))
    rate = [n / best[way.label] * 60 for way in WAYS]
    local1, local2, celery1, celery2 = rate
    table = SideBySide(
        f"{n} scanned pages ({len(truth.groups)} dossiers, {len(truth.blanks)} blank backs) through "
        f"`sohoa batch`, MinIO + SQLite, {os.cpu_count()} cores, best of {args.runs}",
        [way.label for way in WAYS],
    )
    table.row("wall time, s", [best[way.label] for way in WAYS], ".1f")
    table.row("pages per minute", rate, ".1f")
    goals = Table(title="Celery against local at equal cores, and growth with workers")
    goals.add_column("ratio of pages per minute")
    for column in ("figure", "goal", ""):
        goals.add_column(column, justify="right")
    goals.add_row(*goal("Celery 2 workers / local 2 processes", celery2 / local2, 0.9))
    goals.add_row(*goal("Celery 1 worker / local 1 process", celery1 / local1, 0.9))
    goals.add_row(*goal("Celery 2 workers / Celery 1 worker", celery2 / celery1, 1.8))
    console = Console()
    console.print(table.table)
    console.print(goals)


if __name__ == "__main__":
    main()
