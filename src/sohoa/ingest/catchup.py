"""The periodic catch-up: pending index writes (archive.pending) replayed once at start and then every few
seconds, in a daemon thread of whatever process runs it (`sohoa serve`, the Celery worker).

So a document stored while the index was down is found by search soon after the index answers again,
without anyone running `sohoa catch-up` or a full reindex. A round that meets the index still down is the
normal case, not an error: the markers stay for the next round. No exception ends the loop; a failure is
logged and the next round tries again. It lives in ingest (not api) so that a worker started from the
ingest layer can run it as well as the API.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from sohoa.archive.audit_spool import flush_spool, spooled
from sohoa.archive.pending import INDEX_DOWN, catch_up, pending
from sohoa.search.base import SearchIndex
from sohoa.storage.base import ObjectStore

log = logging.getLogger("sohoa.pending")
STOP_SECONDS = 10.0  # how long a stop waits for a round under way before letting the daemon thread be


class HasStoreAndIndex(Protocol):
    """The api's Backends and ingest's IngestContext alike."""

    @property
    def store(self) -> ObjectStore: ...

    @property
    def index(self) -> SearchIndex: ...


def catch_up_round(store: ObjectStore, index: SearchIndex) -> int | None:
    """Replay what is pending, if anything; the number replayed, or None if the round failed (the markers
    not replayed are kept). Never raises."""
    try:
        waiting = len(pending(store))
        if not waiting:
            return 0
        done = catch_up(store, index)
    except INDEX_DOWN as exc:
        log.warning("catch-up: the index is still unavailable (%s); pending changes kept", exc)
        return None
    except Exception:
        log.exception("catch-up: round failed; pending changes kept for the next round")
        return None
    log.info("catch-up: %d/%d pending changes indexed", done, waiting)
    return done


def flush_round(store: ObjectStore, index: SearchIndex, spool: Path) -> None:
    """Move the audit events spooled while the store refused writes (archive.audit_spool). Never raises."""
    if not spooled(spool):
        return
    try:
        log.info("catch-up: %d spooled audit events stored", flush_spool(store, index, spool))
    except Exception as exc:
        log.warning("catch-up: spooled audit events kept for the next round (%s)", exc)


def start_catch_up(
    backends: HasStoreAndIndex, seconds: float, spool: Path | None = None
) -> Callable[[], None]:
    """Run a catch-up round now and every `seconds` after it in a daemon thread; returns the function that
    stops it (waiting briefly for a round under way). `seconds` <= 0: nothing is started. `spool`: the
    folder of this process's spooled audit events, moved into the store in the same rounds."""
    if seconds <= 0:
        return lambda: None
    stopping = threading.Event()

    def loop() -> None:
        log.info("catch-up: replaying pending index writes every %g s", seconds)
        while not stopping.is_set():
            if spool is not None:
                flush_round(backends.store, backends.index, spool)
            catch_up_round(backends.store, backends.index)
            stopping.wait(seconds)

    thread = threading.Thread(target=loop, name="sohoa-catch-up", daemon=True)
    thread.start()

    def stop() -> None:
        stopping.set()
        thread.join(STOP_SECONDS)

    return stop
