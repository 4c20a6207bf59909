"""The Celery side of sohoa: the app both ends share (`celery_app`), the tasks a worker runs, and
`sohoa worker`.

Settings that make a page survive its worker (the reasons are Celery's documented ones for long, idempotent
tasks): a task is acknowledged only when it has finished (`task_acks_late`), so a worker killed in the
middle of a page leaves it unacknowledged; a prefork child that dies hands its task back at once
(`task_reject_on_worker_lost`); a whole worker that dies (the machine lost, a SIGKILL) leaves its task with
the broker, which gives it to another worker once the visibility timeout has passed (`SOHOA_TASK_VISIBILITY
_SECONDS`, checked every few seconds by every live worker). Each worker process takes one task at a time
(`worker_prefetch_multiplier=1`): OCR tasks are long, and a task reserved by a busy worker waits for
nothing. Reading a page and keeping its result are idempotent by content, so a page delivered twice is
committed once.

Pages go to `{prefix}.ocr`; `{prefix}.default` is for short tasks, so they never wait behind an OCR backlog
(none today: indexing and commits happen in the process that runs the job, and the index catch-up and the
take-over of jobs run as threads of `sohoa serve` and `sohoa worker --take-jobs`). A store or broker that
does not answer is retried with backoff; bad input is answered, not retried (`ingest.remote_pages`).
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sohoa.api.scratch import sweep
from sohoa.api.settings import Settings
from sohoa.errors import BadInput, InvalidValue, ServiceUnavailable
from sohoa.ingest.celery_executor import PAGE_TASK
from sohoa.ingest.heap import give_back_large_blocks
from sohoa.ingest.remote_pages import run_remote
from sohoa.storage.base import ObjectStore

if TYPE_CHECKING:
    from celery import Celery

FIXITY_TASK = "sohoa.fixity"
RETRIES = 8
log = logging.getLogger(
    "sohoa.worker"
)  # with backoff from 2 s doubling to at most a minute: about five minutes of a service away


def queues(settings: Settings) -> dict[str, str]:
    return {name: f"{settings.queue_prefix}.{name}" for name in ("ocr", "default")}


def celery_app(settings: Settings) -> Celery:
    """The Celery app of these settings (senders and workers build the same one)."""
    if settings.broker_url is None:
        raise BadInput(
            "Chưa đặt SOHOA_BROKER_URL: cần địa chỉ hàng đợi (Redis) khi SOHOA_EXECUTOR=celery",
            "SOHOA_BROKER_URL is not set: the celery executor needs a broker (redis://...)",
        )
    from celery import Celery  # here, not at the top: every CLI command imports this module

    url = settings.broker_url.get_secret_value()
    app = Celery("sohoa", broker=url, backend=url, set_as_current=False)
    names = queues(settings)
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=names["default"],
        task_routes={PAGE_TASK: {"queue": names["ocr"]}},
        broker_transport_options={
            "visibility_timeout": settings.task_visibility_seconds,
            # Look for tasks of dead workers every few seconds, not every 100 (kombu's default).
            "unacked_restore_interval": 5,
            "unacked_restore_throttle": 1,
        },
        result_expires=86400,
        # Run by the one worker started with --beat (Celery's embedded scheduler).
        beat_schedule={"fixity": {"task": FIXITY_TASK, "schedule": settings.fixity_hours * 3600}}
        if settings.fixity_hours
        else {},
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
    )
    return app


def register_tasks(app: Celery, settings: Settings) -> None:
    """The tasks a worker runs, bound to the store of its settings (made in each worker process)."""
    cache = settings.scratch_dir / "sources"
    stores: dict[int, ObjectStore] = {}

    def store() -> ObjectStore:
        # One client per process: prefork children must not share their parent's connections.
        if os.getpid() not in stores:
            from sohoa.api.backends import make_store

            stores[os.getpid()] = make_store(settings)
        return stores[os.getpid()]

    @app.task(
        name=PAGE_TASK,
        autoretry_for=(ServiceUnavailable, ConnectionError),
        retry_backoff=2,
        retry_backoff_max=60,
        max_retries=RETRIES,
    )
    def read_page(runner: str, payload: dict[str, Any], work: str) -> dict[str, Any]:
        return run_remote(store(), runner, payload, work, cache)

    @app.task(name=FIXITY_TASK, autoretry_for=(ServiceUnavailable,), retry_backoff=60, max_retries=5)
    def fixity() -> dict[str, Any]:
        """Every stored object checked against its sha256, going on after an earlier run that was cut off;
        the run is an audit event, its damage in the worker's log."""
        from sohoa.api.backends import make_index
        from sohoa.archive.fixity import run_fixity

        index = make_index(settings)
        try:
            try:  # going on after the last run if it was cut off (a worker restarted mid-run)
                report = run_fixity(store(), index, resume=True)
            except InvalidValue:  # the unfinished run was someone's own, over part of the archive
                report = run_fixity(store(), index)
        finally:
            index.close()
        damaged = [f.key for f in (*report.mismatches, *report.missing, *report.unreadable)]
        if damaged:
            log.error("fixity: %d damaged object(s): %s", len(damaged), damaged[:20])
        return {"documents": report.documents, "objects": report.objects, "damaged": len(damaged)}


def worker(
    concurrency: Annotated[
        int | None, typer.Option(min=1, max=256, help="pages read at once (default: SOHOA_WORKERS)")
    ] = None,
    queues_: Annotated[
        str, typer.Option("--queues", help="which queues to take, comma-separated: ocr, default")
    ] = "ocr,default",
    loglevel: Annotated[str, typer.Option(help="Celery's log level")] = "INFO",
    beat: Annotated[
        bool,
        typer.Option(
            "--beat",
            help="also run the periodic tasks (fixity every SOHOA_FIXITY_HOURS); one worker of the "
            "installation, not each",
        ),
    ] = False,
    take_jobs: Annotated[
        bool,
        typer.Option(
            "--take-jobs",
            help="also finish the jobs of servers that died and index what the index missed (needs the "
            "servers' own SOHOA_SEARCH settings: a worker on another index would index there)",
        ),
    ] = False,
) -> None:
    """Run a Celery worker that reads pages for any sohoa server reaching the same broker and store."""
    settings = Settings()
    names = queues(settings)
    wanted = [q.strip() for q in queues_.split(",") if q.strip()]
    unknown = [q for q in wanted if q not in names]
    if unknown or not wanted:
        raise BadInput(
            f"Hàng đợi không có: {', '.join(unknown) or '(trống)'}; chọn trong ocr, default",
            f"unknown queue: {', '.join(unknown) or '(none)'}; choose from ocr, default",
        )
    app = celery_app(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    sweep(settings.scratch_root)  # what a worker killed before left in tmp/
    register_tasks(app, settings)
    Path(settings.scratch_dir / "sources").mkdir(parents=True, exist_ok=True)
    argv = [
        "worker",
        f"--concurrency={concurrency or settings.workers}",
        f"--queues={','.join(names[q] for q in wanted)}",
        f"--loglevel={loglevel}",
        f"--hostname=sohoa-{os.getpid()}@{socket.gethostname()}",
        "--without-gossip",
        "--without-mingle",
        *(["--beat", f"--schedule={settings.data_dir / 'beat-schedule'}"] if beat else []),
    ]
    if take_jobs:
        _take_jobs_when_ready(settings)
    give_back_large_blocks()  # before the pool's processes are forked: they read the pages
    # The page work is loaded once here, before the pool forks, rather than by each child at its first page.
    importlib.import_module("sohoa.ingest.page_work")
    app.worker_main(argv)


def _take_jobs_when_ready(settings: Settings) -> None:
    """What `sohoa serve` does besides answering, done by this worker's main process too: unfinished jobs
    of dead servers resumed, pending index writes replayed. Started once the worker is ready, after its pool
    has forked, so the pool's processes never start with these threads' locks held."""
    from celery.signals import worker_ready, worker_shutdown

    from sohoa.api.backends import make_backends
    from sohoa.archive.audit_spool import spool_dir
    from sohoa.ingest.catchup import start_catch_up
    from sohoa.ingest.deliveries import start_deliveries
    from sohoa.ingest.resume import keep_resuming

    stops = []

    @worker_ready.connect(weak=False)
    def start(**_: Any) -> None:
        backends = make_backends(settings.model_copy(update={"executor": "celery"}))
        stops.append(start_catch_up(backends, settings.pending_seconds, spool_dir(settings.data_dir)))
        stops.append(keep_resuming(backends.ingest, settings.job_heartbeat_seconds).set)
        stops.append(start_deliveries(backends.store, settings.delivery_policy, settings.delivery_seconds))

    @worker_shutdown.connect(weak=False)
    def stop(**_: Any) -> None:
        for stop_one in stops:
            stop_one()
