"""The one seam for workers: page tasks go through an Executor.

Local processes are the default (one per core). A distributed executor (e.g. Celery workers) can take the
same picklable tasks later without the pipeline changing.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Protocol, TypeVar

from sohoa.errors import ServiceUnavailable
from sohoa.ingest.heap import give_back_large_blocks

T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    def map_unordered(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        """Run `fn` over `tasks`, yielding results as they finish; the first failure is raised."""
        ...

    def warm(self) -> None:
        """Get ready for tasks soon to come (a file is being inspected), without waiting for it."""
        ...

    def close(self) -> None: ...


class InlineExecutor:
    """Runs tasks in the calling process: for debugging and one-page jobs."""

    def map_unordered(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        return map(fn, tasks)

    def warm(self) -> None:
        pass

    def close(self) -> None:
        pass


def _exit_with_parent(parent: int) -> None:
    """A worker whose parent died exits within a second instead of running on as an
    orphan. A parent killed by SIGKILL never shuts its pool down, and a worker in the middle of a long page
    would otherwise finish it (and hold its memory) for nobody. Polling the parent's pid, not
    PR_SET_PDEATHSIG: that signal follows the thread that started the worker, and pools are fed (and grown)
    from short-lived request and batch threads."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="sohoa-parent-watch", daemon=True).start()


# What a worker's tasks import (the page work: ocr/, OpenCV, pikepdf, the records), about a second of CPU.
_PAGE_WORK = "sohoa.ingest.page_work"


def _start_worker(parent: int) -> None:
    """Pool worker initializer: the arrays of each page read are given back to the system once freed
    (`ingest.heap`), the worker exits with its parent, and it loads the page work before the first task
    comes, so that a pool started by `warm` while the file is inspected has its imports done by then."""
    give_back_large_blocks()
    _exit_with_parent(parent)
    importlib.import_module(_PAGE_WORK)


def _nothing() -> None:
    pass


class LocalProcessExecutor:
    """A process pool over all cores, with at most two tasks in flight per worker so memory stays bounded."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None
        # Several files may be ingested at once from threads, all feeding this one pool.
        self._lock = threading.Lock()

    def _get_pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # spawn: the API process runs threads, and forking a threaded process can deadlock; unlike
                # forkserver, spawned workers are our own children, so their CPU time (and Tesseract's) is
                # counted where tools like `time` look for it.
                context = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(
                    self.workers, mp_context=context, initializer=_start_worker, initargs=(os.getpid(),)
                )
            return self._pool

    def warm(self) -> None:
        """Start every worker now: a spawned pool starts a worker per task submitted while none is idle, and
        each loads the page work as it starts (`_start_worker`). Started at the beginning of an ingest, the
        workers' start and imports (a second or two) overlap the file's inspection, hashing and signature
        check instead of following them."""
        pool = self._get_pool()
        for _ in range(self.workers):
            pool.submit(_nothing)

    def map_unordered(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        pool = self._get_pool()
        pending: set[Future[R]] = set()
        task_iter = iter(tasks)
        try:
            while True:
                while len(pending) < 2 * self.workers:
                    task = next(task_iter, None)
                    if task is None:
                        break
                    pending.add(pool.submit(fn, task))  # a pool found broken here raises too
                if not pending:
                    return
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
        except BrokenProcessPool as exc:
            self._drop(pool)
            raise ServiceUnavailable(
                "Tiến trình đọc trang dừng đột ngột; hãy gửi lại tệp",
                "a page worker stopped while reading (killed or crashed); send the file again",
            ) from exc
        finally:
            for future in pending:
                future.cancel()

    def _drop(self, pool: ProcessPoolExecutor) -> None:
        """Forget a pool one of whose workers died (the kernel's OOM killer, a crash in Tesseract's library):
        such a pool takes no more tasks, and the next file gets a new one."""
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(cancel_futures=True)
                self._pool = None
