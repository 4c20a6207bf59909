"""No pool worker outlives its parent: a process that ingests is SIGKILLed while its workers are in the middle
of long tasks, and every worker is gone soon after (they would otherwise run their task to the end)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from waiting import alive

SCRIPT = """
import os, sys, time
from sohoa.ingest.executor import LocalProcessExecutor

def pid_after(seconds):
    time.sleep(seconds)
    return os.getpid()

if __name__ == "__main__":
    pool = LocalProcessExecutor(2)
    pids = set()
    while len(pids) < 2:  # both workers seen
        pids |= set(pool.map_unordered(pid_after, [0.3, 0.3, 0.3, 0.3]))
    print(" ".join(map(str, sorted(pids))), flush=True)
    list(pool.map_unordered(pid_after, [600, 600]))  # long tasks, cut off by the SIGKILL
"""


def test_workers_exit_when_their_parent_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "parent.py"
    script.write_text(SCRIPT)
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        workers = [int(pid) for pid in parent.stdout.readline().split()]
        assert len(workers) == 2 and all(alive(pid) for pid in workers)
        time.sleep(1)  # both now in a 600 s task
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 15
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [pid for pid in workers if alive(pid)], "pool workers outlived their killed parent"
    finally:
        parent.kill()
        for pid in workers if "workers" in locals() else []:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
