"""Pages read by Celery workers (SOHOA_EXECUTOR=celery): real `sohoa worker` processes on the Redis of
deploy/services.sh, MinIO as the only thing they share with the sender, a worker SIGKILLed in the middle of
a page of a 32-page stack: the batch finishes and every page is committed exactly once."""

from __future__ import annotations

import subprocess
import time
import uuid
from pathlib import Path

from celery_workers import SOHOA, Worker, celery_env, start_worker
from conftest import make_minio
from sohoa.ingest.batches import PageResult
from sohoa.records.batches import Batch, BatchStatus
from sohoa.samples.scangen import write_pdf
from sohoa.samples.stacks import long_stack
from sohoa.storage import keys
from sohoa.storage.base import ObjectStore

AGENCY = "000.00.11.H29"


def _batches(store: ObjectStore) -> list[Batch]:
    found = [k for k in store.list(keys.BATCHES_PREFIX) if k.endswith("/batch.json")]
    return [Batch.model_validate_json(store.get_bytes(k)) for k in found]


def _results(store: ObjectStore, batch_id: str) -> list[PageResult]:
    found = [k for k in store.list(keys.batch_pages_prefix(batch_id)) if k.endswith(".json")]
    return [PageResult.model_validate_json(store.get_bytes(k)) for k in found]


def _kill_mid_page(worker: Worker, store: ObjectStore, *, after: int, deadline: float) -> set[str]:
    """Once `after` pages are kept, SIGKILL `worker` while it holds a page it took and has not finished;
    the ids of the pages it held."""
    while time.monotonic() < deadline:
        batches = _batches(store)
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
        [batch] = _batches(store)
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
