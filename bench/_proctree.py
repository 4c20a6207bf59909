"""Peak memory of a process and everything it starts (page workers, Tesseract, qpdf...), sampled from /proc.

Two sums per sample: resident memory (RSS, what `top` shows per process; pages shared between processes,
such as libraries, are counted once per process) and proportional set size (PSS: each shared page split
between the processes that map it, so the sum is what the tree really takes). Sampled every `every`
seconds: a spike shorter than that can be missed, which the peaks of each process's own `ru_maxrss`
(exact) are there to check.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path


def tree(root: int) -> list[int]:
    """`root` and its descendants, alive now."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        parent = int(stat.rsplit(")", 1)[1].split()[1])  # the name in parentheses may hold spaces
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _kib(pid: int, file: str, field_name: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/{file}").read_text().splitlines():
            if line.startswith(field_name):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


@dataclass
class TreePeak:
    """Samples the tree under `pid` in a thread until `stop()`; peaks in KiB."""

    pid: int
    every: float = 0.1
    rss: int = 0
    pss: int = 0
    processes: int = 0  # most processes alive at once
    _done: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> TreePeak:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._done.is_set():
            pids = tree(self.pid)
            self.processes = max(self.processes, len(pids))
            self.rss = max(self.rss, sum(_kib(p, "status", "VmRSS:") for p in pids))
            self.pss = max(self.pss, sum(_kib(p, "smaps_rollup", "Pss:") for p in pids))
            self._done.wait(self.every)
