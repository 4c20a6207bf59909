"""A page worker that dies under a task (SIGKILL here; the kernel's OOM killer or a crash in Tesseract's
library in production) fails that file with a clear 503-class error, and the next file is read by a new
pool instead of every later file failing on the broken one."""

from __future__ import annotations

import os
import signal
import time

import pytest

from sohoa.errors import ServiceUnavailable
from sohoa.ingest.executor import LocalProcessExecutor


def _pid_after(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def test_a_worker_killed_under_a_task_fails_that_run_and_the_next_gets_a_new_pool() -> None:
    executor = LocalProcessExecutor(2)
    try:
        first = set(executor.map_unordered(_pid_after, [0.2, 0.2, 0.2, 0.2]))
        running = executor.map_unordered(_pid_after, [30, 30])
        time.sleep(1)  # both tasks under way
        for pid in first:
            os.kill(pid, signal.SIGKILL)
        with pytest.raises(ServiceUnavailable, match="page worker stopped"):
            list(running)
        again = set(executor.map_unordered(_pid_after, [0.1, 0.1]))
        assert again and not again & first  # new workers
    finally:
        executor.close()
