"""Audit events kept on the server's own disk while the store cannot take writes, and moved into the store
once it can.

An erasure-coded store that has lost its write quorum (two of four MinIO nodes down) still serves reads, and
officers must still be able to read a citizen's paper; but no look at it may go unrecorded. So an event the
store refuses as unavailable is written to `data_dir/audit-spool/` (one file per event, synced to disk before
the answer leaves, as the store would have been) and the periodic catch-up (ingest.catchup) stores and
indexes the spooled events when the store takes writes again. An event's id names its object, so moving one
twice stores it once.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

from sohoa.archive.audit import record_event
from sohoa.records.access import AuditEvent
from sohoa.search.base import SearchIndex
from sohoa.storage.base import ObjectExists, ObjectStore, StorageUnavailable

log = logging.getLogger("sohoa.audit")


def spool_dir(data_dir: Path) -> Path:
    return data_dir / "audit-spool"


def record_or_spool(store: ObjectStore, index: SearchIndex, event: AuditEvent, spool: Path) -> bool:
    """Record `event` in the store, or, if the store cannot take writes now, in `spool` on this disk.
    True when it went to the store. Any other failure is raised (the caller withholds its answer)."""
    try:
        record_event(store, index, event)
        return True
    except StorageUnavailable as exc:
        _write(spool, event)
        log.warning("audit event %s kept in %s until the store takes writes (%s)", event.id, spool, exc.en)
        return False


def _write(spool: Path, event: AuditEvent) -> None:
    spool.mkdir(parents=True, exist_ok=True)
    final = spool / f"{event.id}.json"
    partial = spool / f".{event.id}.partial"
    with partial.open("wb") as f:
        f.write(event.model_dump_json().encode())
        f.flush()
        os.fsync(f.fileno())
    partial.replace(final)
    folder = os.open(spool, os.O_RDONLY)
    try:
        os.fsync(folder)  # the new name survives a crash too
    finally:
        os.close(folder)


def spooled(spool: Path) -> list[Path]:
    return sorted(spool.glob("*.json")) if spool.is_dir() else []


def flush_spool(store: ObjectStore, index: SearchIndex, spool: Path) -> int:
    """Move the spooled events into the store (and the index); the count moved. Stops at the first the
    store still refuses, keeping it and the rest for the next round."""
    moved = 0
    for path in spooled(spool):
        event = AuditEvent.model_validate_json(path.read_bytes())
        # Already there: stored by an earlier round that died before removing the file.
        with contextlib.suppress(ObjectExists):
            record_event(store, index, event)
        path.unlink()
        moved += 1
    return moved
