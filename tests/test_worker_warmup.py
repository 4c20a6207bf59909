"""Cost per page (issue 23): the page workers start, and load the page work, while the file is inspected;
they run OpenCV on one thread each."""

from __future__ import annotations

import sys
import time

from sohoa.ingest.executor import InlineExecutor, LocalProcessExecutor


def _page_work_loaded(_: int) -> bool:
    return "sohoa.ingest.pages" in sys.modules


def test_warm_starts_every_worker_with_the_page_work_loaded() -> None:
    executor = LocalProcessExecutor(2)
    try:
        executor.warm()
        pool = executor._pool
        assert pool is not None and len(pool._processes) == 2  # started before any task was sent
        start = time.perf_counter()
        # The workers loaded the page work on starting, not on the first page task.
        assert all(executor.map_unordered(_page_work_loaded, range(4)))
        assert time.perf_counter() - start < 60
    finally:
        executor.close()


def test_warming_an_inline_executor_does_nothing() -> None:
    executor = InlineExecutor()
    executor.warm()
    assert list(executor.map_unordered(_page_work_loaded, [1])) == ["sohoa.ingest.pages" in sys.modules]


def _opencv_threads(_: int) -> int:
    import cv2

    return cv2.getNumThreads()


def test_a_page_worker_runs_opencv_on_one_thread() -> None:
    # Pages are spread over the cores a process each; OpenCV's own threads (one a core by default) would only
    # fight the other workers for them.
    executor = LocalProcessExecutor(2)
    try:
        assert set(executor.map_unordered(_opencv_threads, range(4))) == {1}
    finally:
        executor.close()
