"""The audit trail: every look at and change to a citizen's records, kept as write-once objects in the store
(the object-lock bucket on MinIO) and indexed for the admins' look-ups.

An event is written before the answer it records leaves the server; if it cannot be written, the request
fails rather than go unrecorded. Once stored it is recorded: an index that fails then only delays the admins'
look-up (`ingest.pending`).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from sohoa.archive.pending import Pending, indexed_or_pending
from sohoa.records.access import AuditAction, AuditEvent, Role
from sohoa.search.base import SearchIndex
from sohoa.search.records import AuditPage, AuditQuery
from sohoa.storage import keys
from sohoa.storage.base import ObjectStore


def record_event(store: ObjectStore, index: SearchIndex, event: AuditEvent) -> None:
    day = event.at.date().isoformat()  # events carry UTC times
    key = keys.audit_event(day, event.id)
    store.create_bytes(key, event.model_dump_json().encode(), content_type="application/json", locked=True)
    # Recorded once stored: the admins' look-up catches up later if the index fails now.
    indexed_or_pending(store, Pending.AUDIT, key, lambda: index.index_audit([event]))


def audit_events(index: SearchIndex, query: AuditQuery) -> AuditPage:
    return index.audit_events(query)


_READS = [AuditAction.VIEW, AuditAction.DOWNLOAD, AuditAction.REUSE]


class PaperRead(BaseModel):
    """One look at a citizen's paper by someone else, as the citizen sees it ("Giấy tờ của tôi")."""

    at: datetime
    reader: str
    role: Role | None
    action: AuditAction
    doc_id: str | None  # None: the list of the citizen's papers
    via_dossier: str | None = None  # the dossier at the reader's agency that let them read it
    agency: str | None = None  # the reader's agency, when they read through a dossier


class PaperReads(BaseModel):
    total: int
    reads: list[PaperRead]


def owner_reads(
    index: SearchIndex, owner_id: str, *, username: str, limit: int = 100, offset: int = 0
) -> PaperReads:
    """Who read `owner_id`'s papers (answered, not refused), newest first; the owner's own looks
    (as `username`) left out."""
    query = AuditQuery(
        owner=owner_id, not_actor=username, actions=_READS, succeeded=True, limit=limit, offset=offset
    )
    page = audit_events(index, query)
    reads = [
        PaperRead(
            at=e.at,
            reader=e.actor,
            role=e.role,
            action=e.action,
            doc_id=None if e.record == owner_id else e.record,  # None: the list of their papers
            via_dossier=e.detail.get("via_dossier"),
            agency=e.detail.get("agency"),
        )
        for e in page.events
    ]
    return PaperReads(total=page.total, reads=reads)
