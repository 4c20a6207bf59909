"""Index writes that failed after storage had the change: recorded, then replayed by `sohoa catch-up`.

Storage is the record and the index a view, so once storage has a change the change is done: a client
told 503 would retry and, for a create, make a second record. So an index write that fails after the store
write is logged and leaves a small marker, `pending-index/{time}-{random}.json` naming what to index again
(a dossier, a document, a reuse, an audit event), and the answer is a success. `catch_up` reads the record
from storage as it is then, indexes it, and removes the marker; a marker written while it runs is left for
the next run. Minimal on purpose: durable jobs (issue 22) generalise it.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
import uuid
from collections.abc import Callable
from enum import StrEnum

from sohoa.archive.documents import (
    document_record,
    dossier_record,
    load_document,
    page_records,
    reuse_record,
)
from sohoa.archive.grants import granted_agencies
from sohoa.archive.reuses import document_reuses, marked_reuse
from sohoa.errors import Damaged, NotFound, ServiceUnavailable
from sohoa.records.access import AuditEvent
from sohoa.records.dossiers import Dossier
from sohoa.records.models import Document
from sohoa.search.base import SearchIndex
from sohoa.storage import keys
from sohoa.storage.base import ObjectNotFound, ObjectStore, check_key
from sohoa.storage.manifests import read_manifest

log = logging.getLogger("sohoa.pending")
# What an index raises when it cannot take a write now: Elasticsearch unreachable (search.elastic turns
# transport errors into ServiceUnavailable), SQLite locked or out of disk.
INDEX_DOWN = (ServiceUnavailable, sqlite3.OperationalError)
PENDING_PREFIX = "pending-index/"
# What replaying a marker raises when the marker or the record it names cannot be read: not JSON, not the
# model, gone, or damaged (a failure of the index or the store is none of these).
UNREADABLE = (NotFound, Damaged, ObjectNotFound, ValueError, KeyError, TypeError)


class Pending(StrEnum):
    DOSSIER = "dossier"  # ref: the dossier code
    DOCUMENT = "document"  # ref: the document id (pages and summary)
    REUSE = "reuse"  # ref: the dossier code, doc: the document id
    AUDIT = "audit"  # ref: the audit event's key


def index_later(
    store: ObjectStore, kind: Pending, ref: str, error: Exception, *, doc: str | None = None
) -> None:
    """Log an index write that failed after the store write, and mark it for `catch_up`."""
    log.error("index write failed after storing %s %s (%s): marked pending", kind.value, ref, error)
    key = check_key(f"{PENDING_PREFIX}{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.json")
    body = {"kind": kind.value, "ref": ref, "doc": doc, "error": str(error)[:500]}
    store.put_bytes(key, json.dumps(body, ensure_ascii=False).encode(), content_type="application/json")


def indexed_or_pending(
    store: ObjectStore, kind: Pending, ref: str, write: Callable[[], object], *, doc: str | None = None
) -> bool:
    """Run the index write `write` for a change storage already has; if the index cannot take it now
    (unreachable, or the database busy), mark it pending instead of failing the caller: the change is
    stored, and a 5xx would only invite a duplicate. Other errors (a bug, a dying process) propagate."""
    try:
        write()
    except INDEX_DOWN as exc:
        index_later(store, kind, ref, exc, doc=doc)
        return False
    return True


def index_document(store: ObjectStore, index: SearchIndex, document: Document) -> None:
    """Index a stored document as storage has it: its pages and its summary, with its reuses counted."""
    index.index_pages(page_records(document, granted_agencies(store, document)))
    index.index_documents([document_record(document, len(document_reuses(store, document.id)))])


def index_again(store: ObjectStore, index: SearchIndex, document: Document) -> bool:
    """Index a document storage already holds (a file ingested again): the index may have lost it (a write
    refused while it was down, a rebuild cut short), and a write of the same pages replaces them, so
    asking costs as much as writing. Marked pending when the index cannot take it now."""
    return indexed_or_pending(
        store, Pending.DOCUMENT, document.id, lambda: index_document(store, index, document)
    )


def pending(store: ObjectStore) -> list[str]:
    return list(store.list(PENDING_PREFIX))


def _replay(store: ObjectStore, index: SearchIndex, body: dict[str, str | None]) -> None:
    kind, ref = Pending(body["kind"]), str(body["ref"])
    if kind is Pending.DOCUMENT:
        index_document(store, index, load_document(store, ref))
    elif kind is Pending.DOSSIER:
        index.index_dossiers([dossier_record(read_manifest(store, keys.dossier_manifest(ref), Dossier))])
    elif kind is Pending.REUSE:
        event = marked_reuse(store, str(body["doc"]), ref)
        if event is not None:
            index.index_reuses([reuse_record(event)])
    else:
        index.index_audit([AuditEvent.model_validate_json(store.get_bytes(ref))])


def catch_up(store: ObjectStore, index: SearchIndex) -> int:
    """Index what the markers name, oldest first, each from storage as it is now; returns how many were
    replayed. Stops at the first failure of the index or the store (still down), keeping that marker and
    the rest. A marker whose record cannot be read is logged and kept, and the rest replayed: one damaged
    record must not hold every later change out of the index (the periodic rounds would stall on it)."""
    done = 0
    for key in pending(store):
        try:
            marker = store.get_bytes(key)
        except ObjectNotFound:
            continue  # replayed by a catch-up running beside this one
        try:
            _replay(store, index, json.loads(marker))
        except UNREADABLE as exc:
            log.error("catch-up skipped %s: it or its record cannot be read (%s); marker kept", key, exc)
            continue
        store.delete(key)
        done += 1
    return done
