"""Events sohoa announces to the one-stop software (issue 24): what happened to which record, carried in the
same record shapes as the API answers (a `Document` as `GET /api/v1/documents/{id}` gives it, a
`ReuseEvent` as `POST /api/v1/dossiers/{code}/reuse` gives it), plus the event's id, kind, time and agency.

`changes_of` says which events a change to a stored document makes, from the record before and after it:
`archive.lifecycle.update_document`, which every change goes through, asks it once per change written.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field, TypeAdapter

from sohoa.records.dossiers import ReuseEvent
from sohoa.records.models import Document, utcnow


class EventKind(StrEnum):
    DIGITIZED = "document.digitized"  # a new document stored (archive.writes.publish)
    FIELDS_CONFIRMED = "document.fields_confirmed"  # an officer confirmed or corrected fields read
    VALIDITY_CHANGED = "document.validity_changed"  # valid from/until or the validity status changed
    REVOKED = "document.revoked"  # a result revoked: kept, never reused
    REUSED = "document.reused"  # attached to a dossier instead of new paper
    RESULT_ISSUED = "result.issued"  # a result (kết quả giải quyết) stored, with its result code


DESCRIPTIONS = {
    EventKind.DIGITIZED: "A document was digitized and stored (the record as GET /api/v1/documents/{id}).",
    EventKind.FIELDS_CONFIRMED: "An officer confirmed or corrected fields read from a document.",
    EventKind.VALIDITY_CHANGED: "A document's validity dates or status changed (not by revocation).",
    EventKind.REVOKED: "A result was revoked: it stays in the archive, marked revoked, never reused.",
    EventKind.REUSED: "An earlier digitized document was attached to a dossier (the reuse event).",
    EventKind.RESULT_ISSUED: "A result of a dossier was digitized and given its digitization result code.",
}


class Event(BaseModel):
    """What every event carries: its id (the receiver's key to drop a repeat: delivery is at least once),
    kind, time and the agency whose record it concerns."""

    id: str = Field(description="unique per event; the same in X-Sohoa-Delivery; a repeat has the same id")
    kind: EventKind
    time: datetime = Field(default_factory=utcnow)
    agency: str | None = Field(default=None, description="the agency the record belongs to")


class DocumentEvent(Event):
    """A document digitized, its fields confirmed, its validity changed, revoked, or a result issued."""

    document: Document


class ReuseNotice(Event):
    """A document reused into a dossier: the reuse event, with the document as it stands."""

    reuse: ReuseEvent
    document: Document | None = None


AnyEvent = DocumentEvent | ReuseNotice
_EVENT = TypeAdapter(AnyEvent)


def parse_event(data: bytes) -> AnyEvent:
    return _EVENT.validate_json(data)


def body_model(kind: EventKind) -> type[Event]:
    """The shape of an event of this kind (for the OpenAPI webhooks)."""
    return ReuseNotice if kind is EventKind.REUSED else DocumentEvent


def _validity(document: Document) -> tuple[object, ...]:
    return document.valid_from, document.valid_until, document.validity


def _confirmations(document: Document) -> list[tuple[object, ...]]:
    return [(f.name, f.value, f.confirmed, f.confirmed_at) for f in document.fields if f.confirmed]


def changes_of(before: Document, after: Document) -> list[EventKind]:
    """The events a change from `before` to `after` makes, in a fixed order. A revocation is one event
    (its validity change is part of it); fields confirmed that also set the validity dates make both."""
    kinds: list[EventKind] = []
    if _confirmations(before) != _confirmations(after):
        kinds.append(EventKind.FIELDS_CONFIRMED)
    if before.revocation is None and after.revocation is not None:
        kinds.append(EventKind.REVOKED)
    elif _validity(before) != _validity(after):
        kinds.append(EventKind.VALIDITY_CHANGED)
    return kinds
