"""A hot folder: production scanners (their own capture software) save into a network folder; each file is
taken once it is completely written, handled, and moved to `done/` or `failed/` (with a `.reason.txt`).

A file counts as written when its size and modification time have not changed for `settle` seconds; names
that scanners use while writing (`.part`, `.tmp`, a leading dot) are never taken. A taken file is first moved
to `processing/`, so a crash leaves it there, and the next start handles it again before anything new (the
batch it belongs to resumes where it stopped).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sohoa.scanners.folder import SCAN_SUFFIXES

_WRITING = (".part", ".tmp", ".crdownload", ".partial")


@dataclass
class HotFolder:
    root: Path
    settle: float = 2.0
    _seen: dict[Path, tuple[int, int, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for sub in ("processing", "done", "failed"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    def left_over(self) -> list[Path]:
        """Files a crash left in `processing/`, oldest first."""
        return sorted((self.root / "processing").iterdir(), key=lambda p: p.stat().st_mtime)

    def ready(self, now: float | None = None) -> list[Path]:
        """Files that have stopped changing for `settle` seconds, in name order."""
        now = time.monotonic() if now is None else now
        ready = []
        present = set()
        for path in sorted(self.root.iterdir()):
            name = path.name
            if not path.is_file() or name.startswith(".") or name.lower().endswith(_WRITING):
                continue
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            present.add(path)
            state = (stat.st_size, stat.st_mtime_ns)
            seen = self._seen.get(path)
            if seen is None or seen[:2] != state:
                self._seen[path] = (*state, now)
            elif now - seen[2] >= self.settle and stat.st_size > 0:
                ready.append(path)
        for gone in set(self._seen) - present:
            del self._seen[gone]
        return ready

    def at_rest(self, now: float | None = None) -> list[Path]:
        """Files not written to for `settle` seconds, in name order, judged at once from their
        modification time (for a person asking now, not a watcher polling)."""
        now = time.time() if now is None else now
        rest = []
        for path in sorted(self.root.iterdir()):
            name = path.name
            if not path.is_file() or name.startswith(".") or name.lower().endswith(_WRITING):
                continue
            with contextlib.suppress(FileNotFoundError):
                stat = path.stat()
                if stat.st_size > 0 and now - stat.st_mtime >= self.settle:
                    rest.append(path)
        return rest

    def take_at_rest(self, limit: int) -> list[Path]:
        """Take the files at rest now (at most `limit`, in name order; the rest wait for the next time)."""
        return [self.take(p) for p in self.at_rest()[:limit]]

    def put_back_all(self, taken: list[Path]) -> None:
        for path in taken:
            self.put_back(path)

    def finish_all(self, taken: list[Path], error: str | None = None) -> None:
        """Move taken files on together (to done/, or failed/ with the reason); one gone is skipped."""
        for path in taken:
            with contextlib.suppress(FileNotFoundError):
                self.finish(path, error)

    def put_back(self, taken: Path) -> Path:
        """Undo `take`: the file is left for a person to see to."""
        target = self.root / taken.name
        taken.rename(target)
        return target

    def take(self, path: Path) -> Path:
        target = self.root / "processing" / path.name
        path.rename(target)
        self._seen.pop(path, None)
        return target

    def finish(self, path: Path, error: str | None = None) -> Path:
        target = self.root / ("failed" if error else "done") / path.name
        path.rename(target)
        if error:
            (target.parent / f"{target.name}.reason.txt").write_text(error + "\n", encoding="utf-8")
        return target


def is_scan(path: Path) -> bool:
    return path.suffix.lower() in SCAN_SUFFIXES


def watch(
    folder: HotFolder,
    handle: Callable[[Path], str | None],
    *,
    poll: float = 1.0,
    once: bool = False,
    stop: Callable[[], bool] = lambda: False,
) -> int:
    """Hand each finished file to `handle` (which returns an error message or None); with `once`, return when
    the folder is empty. Returns how many files were handled."""
    handled = 0
    for path in folder.left_over():
        handled += _handle(folder, path, handle)
    while not stop():
        for path in folder.ready():
            taken = folder.take(path)
            handled += _handle(folder, taken, handle)
        if once and not any(p.is_file() and not p.name.startswith(".") for p in folder.root.iterdir()):
            break
        time.sleep(poll)
    return handled


def _handle(folder: HotFolder, path: Path, handle: Callable[[Path], str | None]) -> int:
    if not is_scan(path):
        folder.finish(path, "không phải tệp quét (PDF, TIFF, PNG, JPEG) / not a scan file")
        return 1
    error = handle(path)
    with contextlib.suppress(FileNotFoundError):
        folder.finish(path, error)
    return 1
