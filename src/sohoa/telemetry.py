"""The Prometheus metrics sohoa keeps, defined once, in a module every layer may import: storage and search
count their errors where they translate a library's errors into sohoa's (once per error), ingest counts the
pages read where their results come back to the process that commits them (so the serving process's
numbers move even though the pages are read in pool or Celery worker processes), and the API times its
requests. `api.prometheus` serves them at /metrics and fills the gauges that are read at scrape time
(jobs, queue depth, pending index writes).

Counters are per process, as Prometheus expects: each `sohoa serve` is scraped on its own, and the pages a
`sohoa ingest` or `sohoa watch` process commits are counted in that process, not the server's."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# A page takes from a fraction of a second (a blank back) to minutes (a 600 dpi page read sideways).
_OCR_BUCKETS = (0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 20.0, 30.0, 60.0, 120.0, 300.0)

PAGES_READ = Counter("sohoa_pages_read", "Pages read (OCR) whose results came back to this process")
OCR_SECONDS = Histogram(
    "sohoa_ocr_seconds",
    "Seconds to read one page (render, clean, recognise), measured where it was read",
    buckets=_OCR_BUCKETS,
)
JOBS_FINISHED = Counter("sohoa_jobs_finished", "Jobs this process closed, by how they ended", ["state"])
JOBS_OPEN = Gauge(
    "sohoa_jobs_open", "Unfinished jobs of the archive by state, read from the open-jobs markers", ["state"]
)
QUEUE_DEPTH = Gauge(
    "sohoa_queue_depth", "Page tasks waiting in the broker's OCR queue (0 with the local pool)", ["queue"]
)
PENDING_INDEX_WRITES = Gauge(
    "sohoa_pending_index_writes", "Index writes waiting for the index to take them (pending-index markers)"
)
REQUEST_SECONDS = Histogram(
    "sohoa_request_seconds",
    "Seconds to answer an HTTP request (until the headers), by route template, method and status",
    ["route", "method", "status"],
)
STORAGE_ERRORS = Counter(
    "sohoa_storage_errors", "Errors of the object store, as translated once", ["backend", "kind"]
)
INDEX_ERRORS = Counter(
    "sohoa_index_errors", "Errors of the search index, as translated once", ["backend", "kind"]
)


def page_read(seconds: float) -> None:
    """One page read, handed back to this process; `seconds` 0 when the reader did not say (an older
    worker), so the page is counted without a guessed time."""
    PAGES_READ.inc()
    if seconds > 0:
        OCR_SECONDS.observe(seconds)


def job_finished(state: str) -> None:
    JOBS_FINISHED.labels(state).inc()


def storage_error(backend: str, kind: str) -> None:
    """`kind`: "unavailable" (unreachable, busy, full disk) or "refused" (a request the server refused)."""
    STORAGE_ERRORS.labels(backend, kind).inc()


def index_error(backend: str, kind: str) -> None:
    """`kind`: "unavailable" (unreachable, busy) or "refused" (a request the index refused)."""
    INDEX_ERRORS.labels(backend, kind).inc()
