"""Pages read by Celery workers (SOHOA_EXECUTOR=celery): real `sohoa worker` processes on the Redis of
deploy/services.sh, MinIO as the only thing they share with the sender, a worker SIGKILLed in the middle of
a page of a 32-page stack: the batch finishes and every page is committed exactly once; a worker whose store
does not answer retries the page with backoff until it does."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest

from celery_workers import SOHOA, Worker, celery_env, start_worker
from conftest import make_minio
from sohoa.api.backends import make_executor
from sohoa.api.settings import Settings
from sohoa.ingest import ingest_file
from sohoa.ingest.batch_records import list_batches
from sohoa.ingest.batches import PageResult
from sohoa.records.batches import BatchStatus
from sohoa.samples.scangen import make_page, write_pdf
from sohoa.samples.stacks import long_stack
from sohoa.search.sqlite import SqliteIndex
from sohoa.storage import keys
from sohoa.storage.base import ObjectStore
from sohoa.storage.filesystem import FilesystemStore

AGENCY = "000.00.11.H29"


def _results(store: ObjectStore, batch_id: str) -> list[PageResult]:
    found = [k for k in store.list(keys.batch_pages_prefix(batch_id)) if k.endswith(".json")]
    return [PageResult.model_validate_json(store.get_bytes(k)) for k in found]


def _kill_mid_page(worker: Worker, store: ObjectStore, *, after: int, deadline: float) -> set[str]:
    """Once `after` pages are kept, SIGKILL `worker` while it holds a page it took and has not finished;
    the ids of the pages it held."""
    while time.monotonic() < deadline:
        batches = list_batches(store)
        if batches and len(_results(store, batches[0].id)) >= after:
            held = set(worker.received()) - set(worker.succeeded())
            if held:
                worker.kill()
                return held
        time.sleep(0.05)
    raise AssertionError("the batch never got far enough to kill a worker mid-page")


def test_a_worker_killed_mid_batch_the_batch_finishes_with_every_page_once(
    services: dict[str, str], tmp_path: Path
) -> None:
    images, truth = long_stack(32, seed=11)
    stack = tmp_path / "stack.pdf"
    write_pdf(images, stack)
    bucket = f"sohoa-test-{uuid.uuid4().hex[:12]}"
    env = celery_env(services, bucket=bucket, index=f"sohoa-test-{uuid.uuid4().hex[:12]}")
    store = make_minio(services, bucket)
    doomed = start_worker(env, tmp_path / "worker-a")
    survivor = start_worker(env, tmp_path / "worker-b")
    try:
        sender = subprocess.Popen(
            [SOHOA, "batch", str(stack), "--agency", AGENCY],
            env={**env, "SOHOA_DATA_DIR": str(tmp_path / "front")},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        held = _kill_mid_page(doomed, store, after=6, deadline=time.monotonic() + 300)
        _, err = sender.communicate(timeout=600)
        assert sender.returncode == 0, err[-3000:]

        # The page the dead worker held was given to the other one (late acknowledgement, redelivery).
        assert held <= set(survivor.succeeded()), (held, survivor.text()[-2000:])
        assert len(doomed.succeeded()) >= 1  # both workers read pages before the kill
        [batch] = list_batches(store)
        results = _results(store, batch.id)
        assert sorted(r.page.number for r in results) == list(range(1, len(images) + 1))  # none lost or twice
        assert batch.status is BatchStatus.DONE and batch.pages_done == len(images)
        assert [g.pages for g in batch.groups] == truth.groups
        assert sorted(n for g in batch.groups for n in g.blank_pages) == truth.blanks
        stored = list(store.list("by-sha256/"))
        assert len(stored) == len(truth.groups) == batch.documents  # each dossier stored once
        assert list(store.list(keys.WORK_PREFIX)) == []  # nothing left in transit
    finally:
        doomed.stop()
        survivor.stop()


class _Forwarder:
    """A TCP port that refuses connections until `open()`, then forwards them to `target`: a store that
    does not answer for a while, in front of the real MinIO."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.server: socket.socket | None = None

    def open(self) -> None:
        self.server = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        assert self.server is not None
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := a.recv(65536):
                b.sendall(data)
        with contextlib.suppress(OSError):
            b.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        if self.server is not None:
            self.server.close()


def test_a_page_whose_store_does_not_answer_is_retried_with_backoff_until_it_does(
    services: dict[str, str], tmp_path: Path
) -> None:
    bucket = f"sohoa-test-{uuid.uuid4().hex[:12]}"
    env = celery_env(services, bucket=bucket)
    host, port = services["SOHOA_MINIO_ENDPOINT"].rsplit(":", 1)
    store = make_minio(services, bucket)  # the sender reaches MinIO; the worker, for now, nothing
    forwarder = _Forwarder((host, int(port)))
    worker = start_worker({**env, "SOHOA_MINIO_ENDPOINT": f"127.0.0.1:{forwarder.port}"}, tmp_path / "w")
    page = tmp_path / "page.png"
    make_page(seed=5151, size="A5", lines=3).image.save(page, dpi=(300, 300))
    prefix = env["SOHOA_QUEUE_PREFIX"]
    settings = Settings(executor="celery", broker_url=env["SOHOA_BROKER_URL"], queue_prefix=prefix)
    executor = make_executor(settings, store)
    try:
        outcome: list[object] = []
        ingest = threading.Thread(
            target=lambda: outcome.append(
                ingest_file(page, store=store, index=SqliteIndex(":memory:"), executor=executor)
            )
        )
        ingest.start()
        deadline = time.monotonic() + 60
        while "Retry in" not in worker.text() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "Retry in" in worker.text(), worker.text()[-3000:]  # the task was not failed, nor lost
        forwarder.open()  # the store answers again
        ingest.join(timeout=180)
        assert not ingest.is_alive() and len(outcome) == 1, worker.text()[-3000:]
        document = outcome[0].document  # type: ignore[attr-defined]
        assert document.page_count == 1 and "succeeded" in worker.text()
        assert list(store.list(keys.WORK_PREFIX)) == []
    finally:
        worker.stop()
        forwarder.close()


@pytest.mark.parametrize(
    ("args", "settings", "said"),
    [
        (["worker", "--queues", "ocr,nope"], {}, "unknown queue: nope"),
        (["worker"], {"SOHOA_BROKER_URL": ""}, "SOHOA_BROKER_URL is not set"),
        (["jobs"], {"SOHOA_EXECUTOR": "celery", "SOHOA_BROKER_URL": ""}, "SOHOA_BROKER_URL is not set"),
        (["worker"], {"SOHOA_BROKER_URL": "amqp://guest@127.0.0.1//"}, "SOHOA_BROKER_URL must be redis://"),
        (["jobs"], {"SOHOA_EXECUTOR": "threads"}, "SOHOA_EXECUTOR: Input should be 'local' or 'celery'"),
    ],
)
def test_a_worker_or_executor_set_up_wrong_is_refused_with_a_clear_message(
    tmp_path: Path, args: list[str], settings: dict[str, str], said: str
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")}
    env.update(SOHOA_DATA_DIR=str(tmp_path / "data"), COLUMNS="250", **settings)
    done = subprocess.run([SOHOA, *args], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    assert said in done.stderr and "Lỗi:" in done.stderr and "Traceback" not in done.stderr


def test_a_worker_with_beat_checks_the_archive_s_fixity_periodically(
    services: dict[str, str], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    store, index = FilesystemStore(data / "store"), SqliteIndex(data / "index.sqlite3")
    page = tmp_path / "page.png"
    make_page(seed=6161, size="A5", lines=3).image.save(page, dpi=(300, 300))
    ingest_file(page, store=store, index=index)
    env = {**celery_env(services), "SOHOA_FIXITY_HOURS": "0.001"}  # every 3.6 s
    worker = start_worker(env, tmp_path / "w", data=data, options=("--beat",))
    try:
        deadline = time.monotonic() + 90
        runs: list[dict] = []
        while time.monotonic() < deadline and len(runs) < 2:
            events = [json.loads(store.get_bytes(k)) for k in store.list("audit/")]
            runs = [e for e in events if e.get("action") == "fixity"]
            time.sleep(0.5)
        assert len(runs) >= 2, worker.text()[-3000:]  # on schedule, again and again
        assert all(r["status"] == 200 for r in runs)  # nothing damaged
        assert "sohoa.fixity" in worker.text() and "succeeded" in worker.text()
    finally:
        worker.stop()
