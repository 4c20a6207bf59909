"""Dossiers and reuse, over storage and index: issue dossier codes, link documents, reuse an earlier
digitized copy instead of new paper (the digitization indicators are in ingest.indicators).

Storage holds every fact (dossier manifests, one object per link, one write-once object per reuse event);
the index holds summaries for fast look-ups and counts, and is brought up to date after each write.
Uniqueness (dossier codes, one reuse per document and dossier) rests on the store's create-if-absent
write, so it holds across processes and machines; a reuse cut short by a crash is finished by a retry or by
reading the count, never counted twice nor left counted without its event (`ingest.reuses`).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from functools import partial

from pydantic import BaseModel

from sohoa.archive.documents import document_record, dossier_record, load_document, reuse_record
from sohoa.archive.pending import Pending, indexed_or_pending
from sohoa.archive.reuses import document_reuses, finish_reuse, marked_reuse, reserve_reuse
from sohoa.errors import BadInput, Conflict, NotFound
from sohoa.records.codes import DEFAULT_DOSSIER_PATTERN, dossier_code, dossier_code_prefix
from sohoa.records.dossiers import (
    Dossier,
    DossierLink,
    DossierStatus,
    DossierView,
    LinkKind,
    NewDossier,
    ReuseEvent,
)
from sohoa.records.models import LOCAL_TZ, utcnow
from sohoa.records.reuse import SUMMARY_FACTS, Reusability, ReuseFacts, reusability
from sohoa.search.base import SearchIndex
from sohoa.search.records import DocumentRecord
from sohoa.storage import keys
from sohoa.storage.base import ObjectExists, ObjectNotFound, ObjectStore
from sohoa.storage.manifests import read_manifest, update_manifest

_MAX_SEQUENCE = 9999


def _json(model: BaseModel) -> bytes:
    return model.model_dump_json(indent=2).encode()


def create_dossier(
    store: ObjectStore,
    index: SearchIndex,
    new: NewDossier,
    *,
    by: str,
    pattern: str = DEFAULT_DOSSIER_PATTERN,
) -> Dossier:
    """Issue the next code of the agency's day and store the dossier; safe under concurrent creation."""
    day = new.received_at.astimezone(LOCAL_TZ).date()
    prefix = dossier_code_prefix(new.agency, day, pattern)
    # Start after the codes already issued that day; a lost race just moves on to the next number.
    seq = 1 + sum(1 for k in store.list(keys.dossiers_starting_with(prefix)) if k.endswith("/manifest.json"))
    while seq <= _MAX_SEQUENCE:
        dossier = Dossier(**new.model_dump(), code=dossier_code(new.agency, day, seq, pattern), created_by=by)
        try:
            store.create_bytes(
                keys.dossier_manifest(dossier.code), _json(dossier), content_type="application/json"
            )
        except ObjectExists:
            seq += 1
            continue
        # Stored is done: an index that fails now catches up later (ingest.pending), never a 503 to retry.
        indexed_or_pending(
            store,
            Pending.DOSSIER,
            dossier.code,
            partial(index.index_dossiers, [dossier_record(dossier)]),
        )
        return dossier
    raise Conflict(
        f"Hết số thứ tự hồ sơ trong ngày {day.isoformat()}", f"no dossier number left for {day.isoformat()}"
    )


def set_status(
    store: ObjectStore, index: SearchIndex, code: str, status: DossierStatus, *, by: str
) -> Dossier:
    """Move a dossier on (processing, done, returned); done or returned, it is closed at the server's time
    and stays closed: reopening would open the applicant's papers again (api.access). The same status
    twice changes nothing."""

    def move(dossier: Dossier) -> Dossier | None:
        # Applied to the dossier as stored now: of two officers closing it at once, one closes it.
        if dossier.status is status:
            return None
        if not dossier.status.open:
            raise Conflict(
                f"Hồ sơ đã đóng ({dossier.status.value}), không đổi trạng thái được",
                f"the dossier is closed ({dossier.status.value}); its status cannot change",
            )
        if status is DossierStatus.RECEIVED:
            raise BadInput("Không đưa hồ sơ về trạng thái tiếp nhận", "a dossier cannot go back to received")
        return dossier.model_copy(
            update={
                "status": status,
                "closed_at": None if status.open else utcnow(),
                "closed_by": None if status.open else by,
            }
        )

    try:
        changed, _ = update_manifest(store, keys.dossier_manifest(code), Dossier, move)
    except (ObjectNotFound, ValueError) as exc:
        raise NotFound(f"Không tìm thấy hồ sơ {code[:60]}", f"dossier {code[:60]} not found") from exc
    index.index_dossiers([dossier_record(changed)])
    return changed


def load_dossier(store: ObjectStore, code: str) -> DossierView:
    try:
        dossier = read_manifest(store, keys.dossier_manifest(code), Dossier)
    except (ObjectNotFound, ValueError) as exc:
        raise NotFound(f"Không tìm thấy hồ sơ {code[:60]}", f"dossier {code[:60]} not found") from exc
    links = [
        DossierLink.model_validate_json(store.get_bytes(k))
        for k in store.list(keys.dossier_links_prefix(code))
    ]
    return DossierView(**dossier.model_dump(), links=sorted(links, key=lambda link: link.at))


def link_scanned(store: ObjectStore, code: str, doc_id: str, *, by: str) -> DossierLink:
    """Record that a document was digitized for this dossier (idempotent)."""
    load_dossier(store, code)
    link = DossierLink(dossier_code=code, doc_id=doc_id, kind=LinkKind.SCANNED, by=by)
    try:
        store.create_bytes(keys.dossier_link(code, doc_id), _json(link), content_type="application/json")
    except ObjectExists:
        return DossierLink.model_validate_json(store.get_bytes(keys.dossier_link(code, doc_id)))
    return link


def reuse_count(store: ObjectStore, doc_id: str) -> int:
    """How many dossiers reused the document; finishes any reuse a crash left half-written first, so the
    count always matches the reuse events in storage (see `ingest.reuses`)."""
    return len(document_reuses(store, doc_id))


def reuse_document(
    store: ObjectStore, index: SearchIndex, code: str, doc_id: str, *, by: str, today: date | None = None
) -> ReuseEvent:
    """Attach an earlier digitized document to a dossier: a link, not a copy, logged as a reuse event.

    Refused (409) when the document is not reusable for this dossier's applicant: revoked, expired, someone
    else's. Reusing the same document for the same dossier twice is one reuse; run again after a crash, it
    finishes that reuse (`ingest.reuses`).
    """
    dossier = load_dossier(store, code)
    document = load_document(store, doc_id)
    # Already decided (by an earlier call, maybe cut short by a crash): finish it, whatever today's verdict.
    event = marked_reuse(store, doc_id, code)
    if event is None:
        today = today or datetime.now(LOCAL_TZ).date()
        verdict = reusability(document, today, owner_id=dossier.applicant.id_number)
        if not verdict.reusable:
            blocking = [r for r in verdict.reasons if r.blocking]
            raise Conflict(
                "Không dùng lại được: " + "; ".join(r.vi for r in blocking),
                "cannot be reused: " + "; ".join(r.en for r in blocking),
            )
        event = reserve_reuse(
            store,
            ReuseEvent(
                id=uuid.uuid4().hex,
                dossier_code=code,
                doc_id=doc_id,
                owner_id=document.owner_id,
                agency=dossier.agency,
                by=by,
            ),
        )
    finish_reuse(store, event)
    indexed_or_pending(
        store, Pending.REUSE, code, lambda: index.index_reuses([reuse_record(event)]), doc=doc_id
    )
    indexed_or_pending(
        store,
        Pending.DOCUMENT,
        doc_id,
        lambda: index.index_documents([document_record(document, reuse_count(store, doc_id))]),
    )
    return event


class OwnerDocument(BaseModel):
    """One of an owner's documents as the counter sees it: the summary and whether it can be reused."""

    document: DocumentRecord
    reuse: Reusability


def facts_of(record: DocumentRecord) -> ReuseFacts:
    return ReuseFacts(**record.model_dump(include=SUMMARY_FACTS), has_content=record.page_count > 0)


def owner_documents(
    index: SearchIndex, owner_id: str, *, doc_type: str | None = None, valid_on: date | None = None
) -> list[OwnerDocument]:
    """The owner's digitized documents, newest first, each with why it is (or is not) reusable."""
    day = valid_on or datetime.now(LOCAL_TZ).date()
    return [
        OwnerDocument(document=r, reuse=reusability(facts_of(r), day, owner_id=owner_id))
        for r in index.owner_documents(owner_id, doc_type)
    ]
