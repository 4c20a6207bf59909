"""Scratch copies under the data folder's `tmp/`: each process's own folder, and the sweep of those a
crashed process left behind.

Every process writes its scratch files (uploads in transit, pages being read, batches being cut) inside a
folder of its own, `tmp/proc-{pid}-{random}/`, holding an exclusive `flock` on its `.lock` file for as long
as it lives. The kernel drops the lock when the process ends, however it ends (a SIGKILL, an OOM kill), so
at the next start (`sohoa serve`, any CLI command: `make_backends`) a folder whose lock can be taken is a
dead process's and is removed; one whose lock is held is a live process's (another `sohoa serve`, a
`sohoa ingest` running beside it) and is never touched, however old. A lock rather than an age threshold:
a live batch may run for hours, so no age says "abandoned", and a process's start time says nothing about
other processes started before it. Pool workers are spawned, not forked, so they do not inherit the lock
(Python's files are not inheritable), and they exit within a second of their parent (`ingest.executor`).

Loose entries directly under `tmp/` come from before these folders existed: they are removed when older
than this process's start, as no live process of this version writes there.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import IO

PREFIX = "proc-"
LOCK = ".lock"
_STARTED = time.time()  # this module is loaded before any scratch of this process is made
# The folder of this process per scratch root, with its lock file held open (keyed by pid: a forked child
# makes its own rather than writing into its parent's).
_own: dict[tuple[int, Path], tuple[Path, IO[bytes]]] = {}


def own_scratch(root: Path) -> Path:
    """This process's scratch folder under `root`, made and locked on first use."""
    key = (os.getpid(), root.resolve())
    if key not in _own:
        name = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        # Made under a loose name and locked before it is named as a process's: a sweep never sees a
        # process folder not locked yet (and a new loose entry is not older than any sweeper's start).
        making = root / f".{name}"
        making.mkdir(parents=True)
        lock = (making / LOCK).open("wb")
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        folder = making.rename(root / f"{PREFIX}{name}")
        _own[key] = (folder, lock)
    return _own[key][0]


def _abandoned(folder: Path) -> bool:
    """Whether no live process holds the folder's lock (taken and let go at once when free)."""
    try:
        with (folder / LOCK).open("rb") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except FileNotFoundError:
        # Its lock file lost (a hand cleaning up): judged by age, as a loose entry.
        return folder.stat().st_mtime < _STARTED
    return True


def sweep(root: Path) -> list[Path]:
    """Remove what dead processes left under `root` (see the module's docstring); returns what went."""
    if not root.is_dir():
        return []
    mine = {folder for (pid, _), (folder, _) in _own.items() if pid == os.getpid()}
    removed = []
    for entry in root.iterdir():
        try:
            if entry in mine:
                continue
            if entry.is_dir() and entry.name.startswith(PREFIX):
                gone = _abandoned(entry)
            else:
                gone = entry.lstat().st_mtime < _STARTED
        except FileNotFoundError:
            continue  # removed by a sweep beside this one
        if gone:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            removed.append(entry)
    return removed
