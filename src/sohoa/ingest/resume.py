"""Finishing the jobs of processes that died: a server (or any process that takes jobs) looks at start, and
then every few heartbeats, for unfinished jobs whose owner stopped beating, takes each over and finishes it.

A stack whose files are in storage goes on in the background from the pages it has (`stack.run_stack` with
its batch id reads only the pages without a result, and cuts the documents again by content, so nothing is
stored twice). A job whose files never reached storage (a person's local files, an upload in transit)
cannot be finished by anyone else: it is marked failed, saying to bring the file again.

Two processes may look at once: taking a job is a versioned write that only succeeds over the record as
read (so normally one wins), and should both still run it, running a stack twice is harmless by design.
"""

from __future__ import annotations

import contextlib
import logging
import threading

from sohoa.errors import NotFound, SohoaError
from sohoa.ingest.batch_records import load_batch
from sohoa.ingest.context import IngestContext
from sohoa.ingest.intake import Cut, Source, stack
from sohoa.ingest.jobs import configure, fail_job, heartbeat_seconds, me, open_jobs
from sohoa.ingest.pipeline import IngestMeta
from sohoa.ingest.runs import start
from sohoa.records.basics import utcnow
from sohoa.records.batches import BatchStatus
from sohoa.records.jobs import Job, JobState
from sohoa.storage import keys
from sohoa.storage.base import ObjectNotFound, VersionConflict
from sohoa.storage.manifests import update_manifest, write_manifest

log = logging.getLogger("sohoa.ingest")
INTERRUPTED = (
    "Việc bị gián đoạn và tệp không được lưu lại; hãy đưa tệp vào lại / "
    "interrupted, and its files were never stored; bring the file again"
)


def _take(ctx: IngestContext, job: Job) -> Job | None:
    """The job, now this process's, if it is still unfinished and its owner still dead when written."""
    now, owner = utcnow(), me()

    def change(stored: Job) -> Job | None:
        if stored.state.finished or not stored.owner_dead(now):
            return None
        stored.owner, stored.heartbeat_at, stored.updated_at = owner, now, now
        stored.heartbeat_seconds = heartbeat_seconds()
        return stored

    try:
        taken, _ = update_manifest(ctx.store, keys.job_manifest(job.id), Job, change)
    except (VersionConflict, ObjectNotFound):
        return None
    return taken if taken.owner == owner and taken.heartbeat_at == now else None


def _finish_stack(ctx: IngestContext, job: Job) -> None:
    batch = load_batch(ctx.store, job.batch_id or "")
    if batch.status is BatchStatus.DONE:  # its owner died after the batch was done, before the job was
        job.state, job.finished_at = JobState.DONE, utcnow()
        job.documents = [g.doc_id for g in batch.groups if g.doc_id]
        job.pages_done, job.pages_total = batch.pages_done, batch.total_pages
        write_manifest(ctx.store, keys.job_manifest(job.id), job)
        with contextlib.suppress(ObjectNotFound):
            ctx.store.delete(keys.open_job_marker(job.id))
        return
    meta = IngestMeta(name=batch.name, by=job.meta.by, agency=job.meta.agency)
    intake = stack(Source(job.source), (), meta, batch_id=batch.id, labels=tuple(job.labels) or None)
    if not start(ctx, intake, batch, job=job):
        fail_job(
            ctx.store, job, "Lô quét đang được đọc bởi việc khác / the batch is being read by another job"
        )


def resume_unfinished(ctx: IngestContext) -> list[str]:
    """Take over every unfinished job whose owner died and finish it (stacks in the background); answers
    the ids taken."""
    taken = []
    now = utcnow()
    for job in open_jobs(ctx.store):
        if job.state.finished:
            with contextlib.suppress(ObjectNotFound):  # its owner died between the record and the marker
                ctx.store.delete(keys.open_job_marker(job.id))
            continue
        if not job.owner_dead(now) or (mine := _take(ctx, job)) is None:
            continue
        taken.append(mine.id)
        try:
            if mine.stored and mine.batch_id and mine.cut == Cut.COVER_SHEETS:
                _finish_stack(ctx, mine)
            else:
                fail_job(ctx.store, mine, INTERRUPTED)
        except NotFound:
            fail_job(ctx.store, mine, INTERRUPTED)
        except SohoaError as exc:
            log.warning("job %s not resumed: %s", mine.id, exc)
    return taken


def keep_resuming(ctx: IngestContext, heartbeat: float) -> threading.Event:
    """Resume dead owners' jobs now and every three heartbeats, in a thread, until the event answered is
    set (a server's lifetime)."""
    configure(heartbeat)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                for job_id in resume_unfinished(ctx):
                    log.info("job %s taken over from a process that died", job_id)
            except Exception:
                log.exception("looking for unfinished jobs failed")
            stop.wait(max(1.0, 3 * heartbeat))

    threading.Thread(target=loop, name="sohoa-resume", daemon=True).start()
    return stop
