"""The audit trail: every look at and change to a citizen's records, kept as write-once objects in the store
(the object-lock bucket on MinIO) and indexed for the admins' look-ups.

An event is written before the answer it records leaves the server; if it cannot be written, the request
fails rather than go unrecorded. Once stored it is recorded: an index that fails then only delays the admins'
look-up (`ingest.pending`).
"""

from __future__ import annotations

from sohoa.ingest.pending import Pending, indexed_or_pending
from sohoa.records.access import AuditEvent
from sohoa.search.base import SearchIndex
from sohoa.search.records import AuditPage, AuditQuery, RecordIndex
from sohoa.storage import keys
from sohoa.storage.base import ObjectStore


def record_event(store: ObjectStore, index: SearchIndex, event: AuditEvent) -> None:
    day = event.at.date().isoformat()  # events carry UTC times
    key = keys.audit_event(day, event.id)
    store.create_bytes(key, event.model_dump_json().encode(), content_type="application/json", locked=True)
    if isinstance(index, RecordIndex):
        # Recorded once stored: the admins' look-up catches up later if the index fails now.
        indexed_or_pending(store, Pending.AUDIT, key, lambda: index.index_audit([event]))


def audit_events(index: SearchIndex, query: AuditQuery) -> AuditPage:
    assert isinstance(index, RecordIndex), f"{index!r} keeps no records"
    return index.audit_events(query)
