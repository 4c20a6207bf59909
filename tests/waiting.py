"""Waiting on real processes in tests: a condition polled until it holds, and whether a process lives."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path


def until(check: Callable[[], bool], seconds: float, every: float = 0.05) -> bool:
    """Poll `check` until it holds or `seconds` pass; its last answer."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(every)
    return check()


def alive(pid: int) -> bool:
    """Running or sleeping; a zombie (dead, not yet reaped by whoever adopted it) counts as gone."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in {"Z", "X"}
