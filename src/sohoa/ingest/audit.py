"""The audit trail: every look at and change to a citizen's records, kept as write-once objects in the store
(the object-lock bucket on MinIO) and indexed for the admins' look-ups.

An event is written before the answer it records leaves the server; if it cannot be written, the request
fails rather than go unrecorded.
"""

from __future__ import annotations

from sohoa.records.access import AuditEvent
from sohoa.search.base import SearchIndex
from sohoa.search.records import AuditPage, AuditQuery, RecordIndex
from sohoa.storage import keys
from sohoa.storage.base import ObjectStore


def record_event(store: ObjectStore, index: SearchIndex, event: AuditEvent) -> None:
    day = event.at.date().isoformat()  # events carry UTC times
    store.create_bytes(
        keys.audit_event(day, event.id),
        event.model_dump_json().encode(),
        content_type="application/json",
        locked=True,
    )
    if isinstance(index, RecordIndex):
        index.index_audit([event])


def audit_events(index: SearchIndex, query: AuditQuery) -> AuditPage:
    assert isinstance(index, RecordIndex), f"{index!r} keeps no records"
    return index.audit_events(query)
