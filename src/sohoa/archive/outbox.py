"""The outbox: each event is stored right after the change it reports and before anything is sent, so a
process that dies after the change still has it delivered by whichever process runs the next delivery
round (archive.deliveries). Events are kept under `outbox/` until every subscription they go to has them.

Where the change can be made again after a crash (a document committed again, a reuse finished again), the
event's id and time come from the record, so the retry writes the same key and the outbox holds one event;
otherwise a repeat carries the same id, which is what receivers drop repeats by.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime

from sohoa.archive.subscriptions import subscriptions
from sohoa.records.dossiers import ReuseEvent
from sohoa.records.events import AnyEvent, DocumentEvent, EventKind, ReuseNotice, parse_event
from sohoa.records.models import Document, DocumentKind
from sohoa.storage import keys
from sohoa.storage.base import ObjectExists, ObjectNotFound, ObjectStore


def stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def emit(store: ObjectStore, event: AnyEvent) -> str | None:
    """Store the event in the outbox (once: an event already there is left as it is); returns its key, or
    None when no subscription wants it. A subscription gets only the events made after it, so one that
    nobody wants now is never sent: an installation without subscribers writes nothing for its changes."""
    if not any(sub.wants(event.kind, event.agency, event.time) for sub in subscriptions(store)):
        return None
    key = keys.outbox_event(stamp(event.time), event.id)
    with contextlib.suppress(ObjectExists):
        store.create_bytes(key, event.model_dump_json().encode(), content_type="application/json")
    return key


def emit_published(store: ObjectStore, document: Document) -> None:
    """A new document: digitized, and a result issued when it is one. The ids come from the document, so a
    commit run again after a crash announces the same events."""
    kinds = [EventKind.DIGITIZED]
    if document.kind is DocumentKind.RESULT:
        kinds.append(EventKind.RESULT_ISSUED)
    for kind in kinds:
        event_id = f"{kind.value.replace('.', '-')}-{document.id}"
        emit(
            store,
            DocumentEvent(
                id=event_id, kind=kind, time=document.created_at, agency=document.agency, document=document
            ),
        )


def emit_changes(store: ObjectStore, kinds: list[EventKind], event_id: str, document: Document) -> None:
    """The events a change written to a document makes (records.events.changes_of)."""
    for n, kind in enumerate(kinds):
        emit(store, DocumentEvent(id=f"{event_id}-{n}", kind=kind, agency=document.agency, document=document))


def emit_reuse(store: ObjectStore, reuse: ReuseEvent, document: Document) -> None:
    """A reuse, under the reuse event's own id and time: finishing it again writes the same key."""
    emit(
        store,
        ReuseNotice(
            id=f"document-reused-{reuse.id}",
            kind=EventKind.REUSED,
            time=reuse.at,
            agency=reuse.agency,
            reuse=reuse,
            document=document,
        ),
    )


def pending(store: ObjectStore) -> Iterator[tuple[str, AnyEvent]]:
    """The events still to deliver, oldest first, with their keys."""
    for key in store.list(keys.OUTBOX_PREFIX):
        try:
            yield key, parse_event(store.get_bytes(key))
        except ObjectNotFound:
            continue  # delivered and cleared by another process meanwhile


def clear(store: ObjectStore, key: str) -> None:
    """Every subscription has the event: it leaves the outbox (the delivery log keeps the attempts)."""
    with contextlib.suppress(ObjectNotFound):
        store.delete(key)
