"""Jobs: every intake as a record in storage (`jobs/{id}/job.json`, records.jobs) written before any work
starts, kept up to date while it runs (state, pages done of all, a heartbeat), and closed as done or failed
with its documents or its error.

While a job runs, a thread rewrites its heartbeat every interval; a job whose heartbeat is three intervals
old lost its process (`ingest.resume` takes it over). Progress is written at most once a second, and only
when a page was finished since the last write, so a fast stack does not turn into a stream of manifest
writes. Unfinished jobs are also listed under `open-jobs/` (a marker each, removed when the job ends), so
that looking for them stays cheap however many finished jobs the archive holds.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import replace

from sohoa import telemetry
from sohoa.errors import BadInput, NotFound, SohoaError
from sohoa.ingest.context import IngestContext
from sohoa.ingest.intake import Intake, Taken, submit
from sohoa.ingest.pipeline import IngestMeta, Progress
from sohoa.records.basics import utcnow
from sohoa.records.batches import Batch
from sohoa.records.jobs import JOB_ID, MAX_ERRORS, Job, JobMeta, JobState, new_job_id
from sohoa.storage import keys
from sohoa.storage.base import ObjectNotFound, ObjectStore
from sohoa.storage.manifests import read_manifest, write_manifest

PROGRESS_EVERY = 1.0  # seconds between two progress writes at most
_heartbeat = [5.0]  # seconds between two beats (SOHOA_JOB_HEARTBEAT_SECONDS, set by `configure`)
INTERNAL = "Lỗi hệ thống khi số hóa / internal error while digitizing; see the server log"


def configure(heartbeat_seconds: float) -> None:
    """This process's heartbeat interval (each job records the one its owner beats at)."""
    _heartbeat[0] = heartbeat_seconds


def heartbeat_seconds() -> float:
    return _heartbeat[0]


def me() -> str:
    """This process, as a job's owner."""
    return f"{socket.gethostname()}:{os.getpid()}"


def check_job_id(job_id: str) -> str:
    if not re.fullmatch(JOB_ID, job_id):
        raise BadInput(f"Mã việc không hợp lệ: {job_id[:40]}", f"malformed job id: {job_id[:40]}")
    return job_id


def open_job(store: ObjectStore, intake: Intake, *, batch: Batch | None = None) -> Job:
    """The intake's job, written (queued) before any work: a stack's `batch` has its files in storage
    already, so any process can finish it; otherwise the job names the local files it was given."""
    meta = intake.meta or IngestMeta(name="")
    local = intake.files if isinstance(intake.files, list | tuple) else ()  # a scanner's pages still arrive
    job = Job(
        id=new_job_id(),
        source=str(intake.source),
        cut=str(intake.cut),  # type: ignore[arg-type]
        files=list(batch.sources) if batch else [str(p) for p in local],
        stored=batch is not None,
        labels=list(intake.labels or ()),
        meta=JobMeta(
            name=meta.name,
            by=meta.by,
            agency=meta.agency,
            owner_id=meta.owner_id,
            doc_type=meta.doc_type,
            dossier_code=meta.dossier_code,
            kind=meta.kind,
        ),
        batch_id=batch.id if batch else intake.batch_id,
        pages_total=batch.total_pages if batch else 0,
        heartbeat_seconds=heartbeat_seconds(),
    )
    store.put_bytes(keys.open_job_marker(job.id), job.id.encode(), content_type="text/plain")
    write_manifest(store, keys.job_manifest(job.id), job)
    return job


def load_job(store: ObjectStore, job_id: str) -> Job:
    try:
        return read_manifest(store, keys.job_manifest(check_job_id(job_id)), Job)
    except (ObjectNotFound, ValueError) as exc:
        raise NotFound(f"Không tìm thấy việc {job_id[:40]}", f"job {job_id[:40]} not found") from exc


def list_jobs(store: ObjectStore, state: JobState | None = None, *, limit: int = 50) -> list[Job]:
    """Jobs, newest first (at most `limit`), in `state` when given; an unreadable record is skipped."""
    found = []
    for key in store.list(keys.JOBS_PREFIX):
        if key.endswith("/job.json"):
            with contextlib.suppress(ObjectNotFound, ValueError):
                job = read_manifest(store, key, Job)
                if state is None or job.state is state:
                    found.append(job)
    found.sort(key=lambda j: j.created_at, reverse=True)
    return found[:limit]


def open_jobs(store: ObjectStore) -> list[Job]:
    """The jobs not finished yet (their markers), oldest first."""
    found = []
    for key in store.list(keys.OPEN_JOBS_PREFIX):
        with contextlib.suppress(NotFound):
            found.append(load_job(store, key.rsplit("/", 1)[1]))
    return sorted(found, key=lambda j: j.created_at)


class Tracker:
    """A job running in this process: its state and progress written as it goes, its heartbeat beating."""

    def __init__(self, store: ObjectStore, job: Job) -> None:
        self.store, self.job = store, job
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.pages: dict[str, tuple[int, int]] = {}  # per file (by name): done, total
        self.written_at, self.written_pages = 0.0, job.pages_done

    def _write(self) -> None:
        self.job.updated_at = utcnow()
        write_manifest(self.store, keys.job_manifest(self.job.id), self.job)

    def start(self) -> None:
        with self.lock:
            now = utcnow()
            self.job.state, self.job.owner, self.job.heartbeat_at = JobState.RUNNING, me(), now
            self.job.started_at = self.job.started_at or now
            self.job.heartbeat_seconds = heartbeat_seconds()
            self._write()
        threading.Thread(target=self._beat, name=f"sohoa-{self.job.id}", daemon=True).start()

    def _beat(self) -> None:
        while not self.stop.wait(self.job.heartbeat_seconds):
            with self.lock:
                if self.stop.is_set():
                    return
                self.job.heartbeat_at = utcnow()
                with contextlib.suppress(SohoaError):  # a store that hiccups misses one beat, not the job
                    self._write()

    def progress(self, p: Progress) -> None:
        with self.lock:
            self.pages[p.name] = (p.pages_done, p.pages_total)
            self.job.pages_done = sum(d for d, _ in self.pages.values())
            self.job.pages_total = max(self.job.pages_total, sum(t for _, t in self.pages.values()))
            if (
                time.monotonic() - self.written_at >= PROGRESS_EVERY
                and self.job.pages_done > self.written_pages
            ):
                self.written_at, self.written_pages = time.monotonic(), self.job.pages_done
                self._write()

    def finish(self, taken: Taken | None, error: str | None) -> None:
        self.stop.set()
        with self.lock:
            job = self.job
            if taken is not None and taken.batch is not None:
                batch = taken.batch
                job.batch_id = batch.id
                job.documents = [g.doc_id for g in batch.groups if g.doc_id]
                job.pages_done, job.pages_total = batch.pages_done, batch.total_pages
            elif taken is not None:
                job.documents = [o.document.id for o in taken.outcomes]
                job.pages_total = max(job.pages_total, sum(o.document.page_count for o in taken.outcomes))
                job.pages_done = job.pages_total
            if error is not None:
                job.errors = [*job.errors, error[:500]][-MAX_ERRORS:]
            job.state = JobState.FAILED if error is not None else JobState.DONE
            job.finished_at = job.heartbeat_at = utcnow()
            self._write()
        telemetry.job_finished(job.state.value)
        with contextlib.suppress(ObjectNotFound):
            self.store.delete(keys.open_job_marker(job.id))


def run_job(
    ctx: IngestContext, job: Job, intake: Intake, progress: Callable[[Progress], None] | None = None
) -> Taken:
    """Do the intake's work as `job`: running, beating, its progress written, then done or failed (with
    the error, which is raised on to the caller)."""
    tracker = Tracker(ctx.store, job)
    tracker.start()

    def both(p: Progress) -> None:
        tracker.progress(p)
        if progress is not None:
            progress(p)

    try:
        taken = submit(ctx, intake, both)
    except SohoaError as exc:
        tracker.finish(None, f"{exc.vi} / {exc.en}")
        raise
    except BaseException:
        tracker.finish(None, INTERNAL)
        raise
    tracker.finish(taken, None)
    return replace(taken, job_id=job.id)


def submit_job(
    ctx: IngestContext, intake: Intake, progress: Callable[[Progress], None] | None = None
) -> Taken:
    """`intake.submit` as a job: the record written first, then the work, then its outcome."""
    return run_job(ctx, open_job(ctx.store, intake), intake, progress)


def fail_job(store: ObjectStore, job: Job, error: str) -> Job:
    """Close a job that cannot go on (its owner died holding files nobody else has)."""
    job.state, job.errors = JobState.FAILED, [*job.errors, error[:500]][-MAX_ERRORS:]
    job.finished_at = job.updated_at = utcnow()
    write_manifest(store, keys.job_manifest(job.id), job)
    telemetry.job_finished(job.state.value)
    with contextlib.suppress(ObjectNotFound):
        store.delete(keys.open_job_marker(job.id))
    return job
