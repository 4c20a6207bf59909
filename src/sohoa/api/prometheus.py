"""Prometheus at `GET /metrics`: the metrics of `sohoa.telemetry` in the text format, the gauges filled at
scrape time (unfinished jobs by state, the broker's OCR queue, pending index writes), and the timing of
every request by its route template (never the raw path: one series per route, not one per document).

/metrics is public, like /api/v1/health (Prometheus scrapes without credentials): it says counts and
timings, never a name, a path or a record. Whoever must hide even that keeps it behind the proxy. Each
scrape-time read is bounded (a cap on what it counts, a few seconds at most) and a read that fails leaves
its gauge NaN, so a scrape always answers, and says what it could not read."""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
import time
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from sohoa import telemetry
from sohoa.api.auth import route_of
from sohoa.api.backends import Backends
from sohoa.api.readiness import redis_client, within
from sohoa.api.worker import queues
from sohoa.archive.pending import PENDING_PREFIX
from sohoa.errors import NotFound
from sohoa.ingest.jobs import load_job
from sohoa.records.jobs import JobState
from sohoa.storage import keys

log = logging.getLogger("sohoa.metrics")
SCRAPE_SECONDS = 3.0  # each scrape-time read; Prometheus's default scrape timeout is 10 s
PENDING_CAP = 10_000  # markers counted at most (a list page of 1,000 keys per MinIO request)
OPEN_JOBS_CAP = 100  # open jobs read at most; more are counted as "unread"
OPEN_STATES = (JobState.QUEUED.value, JobState.RUNNING.value, "unread")
# kombu keeps a queue's messages of priority n (1-9) under its own key beside the plain one
_PRIORITY_SEP = "\x06\x16"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

router = APIRouter(include_in_schema=False)


def _pending(backends: Backends) -> float:
    return float(sum(1 for _ in itertools.islice(backends.store.list(PENDING_PREFIX), PENDING_CAP)))


def _open_jobs(backends: Backends) -> dict[str, float]:
    store = backends.store
    markers = list(itertools.islice(store.list(keys.OPEN_JOBS_PREFIX), OPEN_JOBS_CAP + 1))
    counts = dict.fromkeys(OPEN_STATES, 0.0)
    for key in markers[:OPEN_JOBS_CAP]:
        with contextlib.suppress(NotFound):  # finished between the listing and the read
            state = load_job(store, key.rsplit("/", 1)[1]).state.value
            if state in counts:  # not one closed whose marker is still being removed
                counts[state] += 1
    counts["unread"] += len(markers) - len(markers[:OPEN_JOBS_CAP])
    return counts


def _queue_depth(backends: Backends) -> float:
    settings = backends.settings
    if settings.executor != "celery" or settings.broker_url is None:
        return 0.0
    name = queues(settings)["ocr"]
    client = redis_client(settings, SCRAPE_SECONDS)
    try:
        pipe = client.pipeline(transaction=False)
        for key in [name, *(f"{name}{_PRIORITY_SEP}{p}" for p in range(1, 10))]:
            pipe.llen(key)
        return float(sum(pipe.execute()))
    finally:
        client.close()


def _read(what: str, fn: Callable[[], float]) -> float:
    try:
        return within(fn, SCRAPE_SECONDS)
    except Exception as exc:
        log.warning("metrics: %s not read (%s)", what, type(exc).__name__)
        return math.nan


def refresh(backends: Backends) -> None:
    """The gauges read now, from storage and the broker."""
    telemetry.PENDING_INDEX_WRITES.set(_read("pending index writes", lambda: _pending(backends)))
    queue = queues(backends.settings)["ocr"]
    telemetry.QUEUE_DEPTH.labels(queue).set(_read("queue depth", lambda: _queue_depth(backends)))
    try:
        jobs = within(lambda: _open_jobs(backends), SCRAPE_SECONDS)
    except Exception as exc:
        log.warning("metrics: open jobs not read (%s)", type(exc).__name__)
        jobs = dict.fromkeys(OPEN_STATES, math.nan)
    for state, count in jobs.items():
        telemetry.JOBS_OPEN.labels(state).set(count)


@router.get("/metrics")
def metrics(request: Request) -> Response:
    refresh(request.app.state.backends)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


def route_template(request: Request) -> str:
    """The template of the route that answered ("/api/v1/documents/{doc_id}"), "unmatched" for none.
    Every route has its template in the access policy (`auth.route_of`, matched on the whole path);
    FastAPI's own `scope["route"]` of a route in an included router knows only the router's part of it."""
    template = route_of(request.method, request.url.path)
    if template is not None:
        return template
    # A mounted app (the static files) leaves its prefix as the root path: one series for all its files.
    mounted = request.scope.get("root_path", "")
    return f"{mounted}/{{path}}" if mounted else "unmatched"


def install(app: FastAPI) -> None:
    """/metrics, and the timing of every request (outside the audit trail's write, which it includes)."""
    app.include_router(router)

    @app.middleware("http")
    async def timed(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        start = time.perf_counter()
        status = 500  # what the client gets when the call raises
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            method = request.method if request.method in _METHODS else "other"
            telemetry.REQUEST_SECONDS.labels(route_template(request), method, str(status)).observe(
                time.perf_counter() - start
            )
