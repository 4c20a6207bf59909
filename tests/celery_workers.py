"""Celery worker processes for tests: `sohoa worker` started as real processes on the broker of
deploy/services.sh, each in a data folder of its own (workers share nothing but the broker and the object
store), on queues no other test uses."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

SOHOA = str(Path(sys.executable).parent / "sohoa")


def celery_env(
    services: dict[str, str], *, bucket: str | None = None, index: str | None = None
) -> dict[str, str]:
    """Settings of a sender and its workers: MinIO (`bucket`; without one, the filesystem store of the
    data folder they share, as on one machine) and Elasticsearch when `index`, the celery executor on queues
    of their own, and a short visibility timeout so a dead worker's page comes back in seconds."""
    env = {
        **os.environ,
        **{k: v for k, v in services.items() if k.startswith("SOHOA_")},
        "SOHOA_EXECUTOR": "celery",
        "SOHOA_QUEUE_PREFIX": f"t{uuid.uuid4().hex[:10]}",
        "SOHOA_TASK_VISIBILITY_SECONDS": "15",
        "SOHOA_WORKERS": "1",
        "COLUMNS": "200",
    }
    if bucket is not None:
        env.update(SOHOA_STORAGE="minio", SOHOA_MINIO_BUCKET=bucket)
    if index is not None:
        env.update(SOHOA_SEARCH="elasticsearch", SOHOA_ES_INDEX=index)
    return env


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def received(self) -> list[str]:
        return re.findall(r"read_page\[([0-9a-f-]+)\] received", self.text())

    def succeeded(self) -> list[str]:
        return re.findall(r"read_page\[([0-9a-f-]+)\] succeeded", self.text())

    def kill(self) -> None:
        """SIGKILL the worker and its pool children, as a machine lost would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.kill()


def start_worker(
    env: dict[str, str],
    folder: Path,
    *,
    concurrency: int = 1,
    data: Path | None = None,
    options: tuple[str, ...] = (),
) -> Worker:
    """A `sohoa worker` logging into `folder`, on a data folder of its own (or `data`, a sender's: the
    filesystem store shared on one machine), once it has said it is ready."""
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "worker.log"
    process = subprocess.Popen(
        [SOHOA, "worker", "--concurrency", str(concurrency), *options],
        env={**env, "SOHOA_DATA_DIR": str(data or folder / "data")},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    worker = Worker(process, log)
    deadline = time.monotonic() + 60
    while " ready." not in worker.text():
        if process.poll() is not None or time.monotonic() > deadline:
            worker.stop()
            raise RuntimeError(f"sohoa worker did not start:\n{worker.text()[-3000:]}")
        time.sleep(0.2)
    return worker
