"""How many package boundaries one page crosses from an intake to a search hit, counted from a real run.

Makes one sample page, then in this process runs the CLI's `sohoa ingest` on it and `sohoa search` for a
word of it, with a profiler that records every call from one sohoa package into another (the page pool is
replaced by the inline executor, so the page's own work is seen too). Prints the call sites (a function's
line) that enter another package, by the package entered, and the calls in all. Run it on two trees
to compare a restructuring:

    PYTHONPATH=src .venv/bin/python bench/boundaries.py          # this tree
    PYTHONPATH=/other/tree/src .venv/bin/python bench/boundaries.py
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any

from rich.console import Console
from rich.table import Table


def _package(filename: str, root: str) -> str | None:
    if not filename.startswith(root):
        return None
    parts = Path(filename[len(root) :]).parts
    return parts[0].removesuffix(".py") if parts else None


def main() -> None:
    import sohoa
    import sohoa.ingest.executor as executors

    root = str(Path(sohoa.__file__).parent) + os.sep
    # The page pool runs pages in other processes, out of the profiler's sight; inline, they run here
    executors.LocalProcessExecutor = lambda *_a, **_k: executors.InlineExecutor()  # type: ignore[misc,assignment]
    from typer.testing import CliRunner

    from sohoa.api.cli import app

    work = Path(tempfile.mkdtemp(prefix="sohoa-boundaries-"))
    env = {**os.environ, "SOHOA_DATA_DIR": str(work / "data")}
    sohoa_cli = str(Path(sys.executable).with_name("sohoa"))
    subprocess.run(
        [sohoa_cli, "sample-batch", str(work / "batch"), "--pages", "1"],
        env=env,
        check=True,
        capture_output=True,
    )
    page = next(p for p in sorted((work / "batch").iterdir()) if p.suffix in {".pdf", ".png", ".tif", ".jpg"})
    truth = json.loads((work / "batch" / "truth.json").read_text())
    word = next(w for w in truth[0]["text"].split() if len(w) >= 5 and w.isalpha())

    pairs: dict[tuple[str, str], str] = {}
    calls = 0
    by_entered: Counter[str] = Counter()

    def profile(frame: FrameType, event: str, _arg: Any) -> None:
        nonlocal calls
        if event != "call":
            return
        callee = _package(frame.f_code.co_filename, root)
        if callee is None or callee == "samples":
            return
        caller_frame = frame.f_back
        while caller_frame is not None and _package(caller_frame.f_code.co_filename, root) is None:
            caller_frame = caller_frame.f_back
        if caller_frame is None:
            return
        caller = _package(caller_frame.f_code.co_filename, root)
        if caller == callee:
            return
        calls += 1
        # A call site (the caller's function and line) into a package: a decorator's wrapper cannot hide
        # which store method a line calls, and a line in a loop counts once.
        key = (f"{caller}.{caller_frame.f_code.co_qualname}:{caller_frame.f_lineno}", callee)
        if key not in pairs:
            pairs[key] = callee
            by_entered[callee] += 1

    os.environ["SOHOA_DATA_DIR"] = env["SOHOA_DATA_DIR"]
    runner = CliRunner()
    sys.setprofile(profile)
    threading.setprofile(profile)  # files are ingested on threads
    try:
        ingested = runner.invoke(app, ["ingest", str(page)])
        found = runner.invoke(app, ["search", word])
    finally:
        sys.setprofile(None)
        threading.setprofile(None)  # type: ignore[arg-type]
        shutil.rmtree(work, ignore_errors=True)
    if ingested.exit_code != 0 or found.exit_code != 0:
        raise SystemExit(f"ingest or search failed:\n{ingested.output}\n{found.output}")

    table = Table(title=f"One page from `sohoa ingest` to a search hit ({root})")
    table.add_column("package entered")
    table.add_column("call sites entering it from another package", justify="right")
    for name, count in sorted(by_entered.items(), key=lambda item: -item[1]):
        table.add_row(name, str(count))
    table.add_row("all", str(sum(by_entered.values())))
    Console().print(table)
    print(f"cross-package calls in all (loops counted): {calls}")
    if "-v" in sys.argv:
        for caller, callee in pairs:
            print(f"  {caller} -> {callee}")


if __name__ == "__main__":
    main()
