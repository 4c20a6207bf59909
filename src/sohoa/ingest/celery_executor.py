"""The distributed executor: page tasks sent to Celery workers on any machine (`SOHOA_EXECUTOR=celery`).

The same seam as the local pool (`executor.Executor`): `map_unordered(run_page, tasks)` yields pages as they
finish. Each task goes to the OCR queue by name, as JSON naming object keys (`remote_pages`): a source not in
storage yet (a file being ingested) is uploaded once under the run's `work/` prefix first. Sending is
bounded (`inflight`), so a scanner's stack still arriving is read as it comes and a 2,000-page file does not
flood the broker with tasks nobody may ever need.

What makes a page survive a worker's death is the worker's configuration (`api.worker`): late
acknowledgement, and a task whose worker vanished is delivered again after the broker's visibility timeout.
The sender only waits; if it dies itself, the job it ran is taken over by the next server (`ingest.jobs`),
and pages whose result was already kept are not read again.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

from sohoa.errors import ServiceUnavailable
from sohoa.ingest.pages import PageTask
from sohoa.ingest.remote_pages import page_done, task_payload
from sohoa.storage import keys
from sohoa.storage.base import ObjectStore

PAGE_TASK = "sohoa.read_page"


class Sender(Protocol):
    """What the executor needs of a Celery app (kept narrow so the ingest layer does not build apps)."""

    def send_task(self, name: str, args: Any = None, **options: Any) -> Any: ...


class CeleryExecutor:
    def __init__(
        self, app: Sender, store: ObjectStore, *, queue: str, inflight: int = 64, poll: float = 0.1
    ) -> None:
        self.app, self.store, self.queue = app, store, queue
        self.inflight, self.poll = inflight, poll

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[PageTask]) -> Iterator[Any]:
        run = uuid.uuid4().hex
        work = keys.work_run(run)
        uploaded: dict[str, str] = {}  # a local source's path → its key under work/
        pending: dict[Any, PageTask] = {}  # AsyncResult → its task
        task_iter = iter(tasks)
        try:
            more = True
            while True:
                while more and len(pending) < self.inflight:
                    task = next(task_iter, None)
                    if task is None:
                        more = False
                        break
                    key = task.source_key or self._uploaded(task, work, uploaded)
                    payload = task_payload(task, key)
                    pending[self._send(fn.__name__, payload, work)] = task
                if not pending:
                    return
                ready = [r for r in pending if r.ready()]
                if not ready:
                    time.sleep(self.poll)
                    continue
                for result in ready:
                    task = pending.pop(result)
                    yield page_done(self.store, self._answer(result), task)
        finally:
            for result in pending:
                # Nobody waits for these any more (a failure, or the caller stopped): workers skip them.
                with contextlib.suppress(Exception):
                    result.revoke()
            self._clean(work)

    def _uploaded(self, task: PageTask, work: str, uploaded: dict[str, str]) -> str:
        if task.source not in uploaded:
            key = keys.work_file(work, f"source-{len(uploaded) + 1}{Path(task.source).suffix}")
            self.store.put_file(key, Path(task.source), content_type=task.media_type)
            uploaded[task.source] = key
        return uploaded[task.source]

    def _send(self, runner: str, payload: dict[str, Any], work: str) -> Any:
        try:
            return self.app.send_task(PAGE_TASK, args=(runner, payload, work), queue=self.queue)
        except Exception as exc:  # kombu's OperationalError and the socket errors under it
            raise ServiceUnavailable(
                "Không kết nối được hàng đợi việc (Redis)", f"cannot reach the task broker: {exc}"
            ) from exc

    def _answer(self, result: Any) -> dict[str, Any]:
        if result.successful():
            answer: dict[str, Any] = result.result
            return answer
        raise ServiceUnavailable(
            "Máy đọc trang không đọc được trang sau nhiều lần thử",
            f"a worker could not read the page after its retries: {result.result!r}",
        )

    def _clean(self, work: str) -> None:
        with contextlib.suppress(Exception):
            for key in list(self.store.list(work)):
                self.store.delete(key)

    def warm(self) -> None:
        pass  # the workers run elsewhere, already started

    def close(self) -> None:
        pass
