"""Stacks read in the background, for front ends that answer at once (the API): starting a run, the set of
runs this process is reading now (the same stack sent twice is read once), and finishing one (a failure
written on the batch record, its files cleaned up or moved on). Hot folders and scanners come in here too,
so the API and the CLI take them by the same functions.
"""

from __future__ import annotations

import logging
import shutil
import threading
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from sohoa.errors import BadInput, Conflict, SohoaError
from sohoa.ingest.batch_records import link_job, mark_failed
from sohoa.ingest.context import IngestContext
from sohoa.ingest.intake import Intake, Source, prepare, stack
from sohoa.ingest.jobs import open_job, run_job, submit_job
from sohoa.ingest.pipeline import IngestMeta, Progress
from sohoa.records.batches import Batch, BatchStatus
from sohoa.records.jobs import Job
from sohoa.scanners.hotfolder import HotFolder
from sohoa.scanners.hotfolder import watch as watch_folder
from sohoa.storage import keys
from sohoa.storage.manifests import write_manifest

log = logging.getLogger("sohoa.ingest")
MAX_FILES = 200  # files of one stack taken at once; the rest of a hot folder waits for the next
Finish = Callable[[str | None], None]  # told the error message (None: done) when a run ends

# Batches this process is reading now: the same stack uploaded twice is started once.
_running: set[str] = set()
_running_lock = threading.Lock()


def start(
    ctx: IngestContext,
    intake: Intake,
    batch: Batch,
    *,
    scratch: Path | None = None,
    finish: Finish = lambda error: None,
    job: Job | None = None,
) -> bool:
    """Read a prepared (or opened) batch in a background thread, unless it is done or already being read;
    `scratch`, a folder holding the intake's files, is removed when the run ends. True if started.

    The run is a job (`job`, or a new one written now, before the thread starts), whose id the batch record
    and `batch` (as the caller answers it) carry, so a process that dies half-way leaves a job that the next
    one finishes (`ingest.resume`)."""
    with _running_lock:
        started = batch.status is not BatchStatus.DONE and batch.id not in _running
        if started:
            _running.add(batch.id)
    if started:
        try:
            job = job or open_job(ctx.store, intake, batch=batch)
            batch.job_id = job.id
            link_job(ctx.store, batch.id, job.id)
        except BaseException:
            with _running_lock:
                _running.discard(batch.id)
            raise
        threading.Thread(
            target=read,
            args=(ctx, intake, batch.id, job),
            kwargs={"scratch": scratch, "finish": finish},
            daemon=True,
        ).start()
    else:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
        finish(None)
    return started


def running(batch_id: str) -> bool:
    with _running_lock:
        return batch_id in _running


def read(
    ctx: IngestContext,
    intake: Intake,
    batch_id: str,
    job: Job,
    *,
    scratch: Path | None = None,
    finish: Finish,
) -> None:
    """A run's body: the stack read and cut as its job; a failure is written on the batch record (what it
    read is kept, and sending the same files again goes on from there) and on the job; always finished."""
    error = None
    try:
        run_job(ctx, job, intake)
    except SohoaError as exc:
        error = f"{exc.vi} / {exc.en}"
        mark_failed(ctx.store, batch_id, error)
    except Exception:
        log.exception("batch %s failed", batch_id)
        error = "Lỗi khi đọc lô quét / the batch failed; see the server log"
        mark_failed(ctx.store, batch_id, error)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
        with _running_lock:
            _running.discard(batch_id)
        finish(error)


def new_scan_id() -> str:
    """The id of a batch a scanner feeds (its content is not known when it starts)."""
    return f"scan-{uuid.uuid4().hex[:16]}"


def open_scan(ctx: IngestContext, meta: IngestMeta) -> Batch:
    """A new batch for pages a scanner is about to feed, recorded at once so it is visible before the first
    page."""
    batch_id = new_scan_id()
    batch = Batch(id=batch_id, name=meta.name, sources=[], total_pages=0, by=meta.by, agency=meta.agency)
    write_manifest(ctx.store, keys.batch_manifest(batch_id), batch)
    return batch


def start_hot_folder(ctx: IngestContext, folder: HotFolder, meta: IngestMeta) -> Batch:
    """Read the files at rest in a hot folder as one stack, in name order (at most MAX_FILES): they move to
    processing/ while read, then to done/ (or failed/, with the reason). A refused file refuses the stack:
    every file is put back and nothing is stored."""
    taken = folder.take_at_rest(MAX_FILES)
    if not taken:
        raise Conflict("Thư mục quét không có tệp nào sẵn sàng", "no finished file in the hot folder")
    name = f"{folder.root.name}: {taken[0].name}" + (f" … ({len(taken)})" if len(taken) > 1 else "")
    intake = stack(Source.HOT_FOLDER, tuple(taken), replace(meta, name=name))
    try:
        batch = prepare(ctx, intake)
    except BaseException:
        folder.put_back_all(taken)
        raise
    start(ctx, intake, batch, finish=lambda error: folder.finish_all(taken, error))
    return batch


def watch_hot_folder(
    ctx: IngestContext,
    folder: HotFolder,
    meta: IngestMeta,
    *,
    once: bool = False,
    progress: Callable[[Path], Callable[[Progress], None] | None] = lambda path: None,
    report: Callable[[Path, Batch | None, BadInput | None], None] = lambda path, batch, error: None,
) -> int:
    """Watch a hot folder: each file, once completely written, read as its own stack and moved to done/ or
    failed/ (a refused file, with the reason). Returns how many files were handled."""

    def handle(path: Path) -> str | None:
        intake = stack(Source.HOT_FOLDER, (path,), replace(meta, name=path.name))
        try:
            batch = submit_job(ctx, intake, progress(path)).batch
        except BadInput as exc:
            report(path, None, exc)
            return f"{exc.vi} / {exc.en}"
        report(path, batch, None)
        return None

    return watch_folder(folder, handle, poll=min(1.0, folder.settle / 2), once=once)
