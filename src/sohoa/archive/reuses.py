"""Reuse, exactly once even when the process dies between its writes.

One reuse is several writes: the marker `documents/{doc}/reused-by/{dossier}.json`, the write-once event
under `events/reuse/{y}/{m}/{d}/`, the dossier's link, then the index (the reuse record and the document's
count). No store writes two keys at once, so the marker is the commit point and everything after it is
derived from the marker alone:

- The marker is written first, create-if-absent, and holds the whole event, its id and time included. Of
  two concurrent reuses of one document for one dossier exactly one creates it; the other adopts it.
- The event and the link are then written from the marker, each create-if-absent. The event's key takes its
  day from the stored event, not from the clock, so finishing a reuse later (the next day, twice, from two
  threads) writes the same keys with the same bytes: the log never holds two events for one reuse.
- The link is written last, so a dossier never shows a reused document whose reuse is not logged.
- Just before the link, while it is missing, the reuse is announced to subscribers (archive.outbox), under
  the reuse's id and time: a crash before the link announces it again (the same event) when finished.

Finishing is idempotent, so whatever write a crash interrupted, running it again completes the reuse. That
happens in two places:
- a retry (`reuse_document` again, what an officer does when the dossier page still offers the document):
  it finds the marker, finishes the writes from it and brings the index up to date;
- reading the reuse count (`reuse_count`, the repair on read). The count is the number of markers, so before
  counting it finishes every marker whose event or link is missing: a count never includes a reuse that is
  not logged and linked, and every write of a document's summary to the index goes through it. It is the
  read that can find an unfinished reuse: it lists the document's markers anyway.
`load_dossier` repairs nothing: with the link written last, each link it lists already has its marker and
event, and a marker without its link cannot be found from the dossier's side without listing every
document. The index is a view: once storage is repaired, `reindex` counts the events it finds, which now
match the markers.
"""

from __future__ import annotations

import contextlib

from pydantic import BaseModel

from sohoa.archive.outbox import emit_reuse
from sohoa.records.dossiers import DossierLink, LinkKind, ReuseEvent
from sohoa.records.models import LOCAL_TZ, Document
from sohoa.storage import keys
from sohoa.storage.base import ObjectExists, ObjectLocked, ObjectNotFound, ObjectStore


def _json(model: BaseModel) -> bytes:
    return model.model_dump_json(indent=2).encode()


def marked_reuse(store: ObjectStore, doc_id: str, code: str) -> ReuseEvent | None:
    """The reuse of this document for this dossier, if one was decided (finished or not)."""
    try:
        return ReuseEvent.model_validate_json(store.get_bytes(keys.reuse_marker(doc_id, code)))
    except ObjectNotFound:
        return None


def reserve_reuse(store: ObjectStore, event: ReuseEvent) -> ReuseEvent:
    """Write the marker holding `event`; if another writer got there first, its event is the reuse."""
    key = keys.reuse_marker(event.doc_id, event.dossier_code)
    try:
        store.create_bytes(key, _json(event), content_type="application/json")
    except ObjectExists:
        return ReuseEvent.model_validate_json(store.get_bytes(key))
    return event


def _create(store: ObjectStore, key: str, data: bytes, *, locked: bool = False) -> None:
    # Checked first so that a repair of a finished reuse reads and never writes.
    if store.exists(key):
        return
    # Losing the race means another writer finished the same reuse from the same marker: same key, same bytes.
    with contextlib.suppress(ObjectExists, ObjectLocked):
        store.create_bytes(key, data, content_type="application/json", locked=locked)


def finish_reuse(store: ObjectStore, event: ReuseEvent) -> None:
    """Write what a marker's reuse still lacks: the event, then the link. Safe to run any number of times."""
    day = event.at.astimezone(LOCAL_TZ).date().isoformat()
    _create(store, keys.reuse_event(day, event.id), _json(event), locked=True)
    link = DossierLink(
        dossier_code=event.dossier_code, doc_id=event.doc_id, kind=LinkKind.REUSED, by=event.by, at=event.at
    )
    link_key = keys.dossier_link(event.dossier_code, event.doc_id)
    if not store.exists(link_key):
        emit_reuse(store, event, _document(store, event.doc_id))
    _create(store, link_key, _json(link))


def _document(store: ObjectStore, doc_id: str) -> Document | None:
    try:
        return Document.model_validate_json(store.get_bytes(keys.document_manifest(doc_id)))
    except ObjectNotFound:
        return None


def document_reuses(store: ObjectStore, doc_id: str) -> list[ReuseEvent]:
    """Every reuse of the document, one per dossier, each finished first if a crash interrupted it."""
    markers = store.list(keys.reuse_markers_prefix(doc_id))
    events = [ReuseEvent.model_validate_json(store.get_bytes(k)) for k in markers]
    for event in events:
        finish_reuse(store, event)
    return events
