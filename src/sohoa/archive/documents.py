"""Reading records back from storage, turning them into what the index holds (pages, document summaries,
dossiers, reuse events), and rebuilding the whole index from storage alone: into a new index that takes the
live one's place at the end, each record that cannot be read reported and skipped."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from pydantic import ValidationError

from sohoa.archive.grants import all_grants
from sohoa.archive.reuses import document_reuses
from sohoa.errors import NotFound
from sohoa.records.access import AuditEvent
from sohoa.records.basics import today
from sohoa.records.dossiers import Dossier, ReuseEvent
from sohoa.records.models import LOCAL_TZ, Document, FieldName
from sohoa.records.reuse import SUMMARY_FACTS, ReuseFacts, validity_on
from sohoa.search.base import PageRecord, SearchIndex
from sohoa.search.records import DocumentRecord, DossierRecord, ReuseRecord
from sohoa.storage import keys
from sohoa.storage.base import ObjectNotFound, ObjectStore
from sohoa.storage.manifests import read_manifest, read_manifest_versioned

log = logging.getLogger("sohoa.archive")
T = TypeVar("T")

_DOC_ID = re.compile(r"[0-9a-f]{24}")


def document_key(doc_id: str) -> str:
    """The key of a document's manifest; NotFound for a malformed id."""
    if not _DOC_ID.fullmatch(doc_id):
        raise NotFound(f"Không tìm thấy tài liệu {doc_id[:40]}", f"document {doc_id[:40]} not found")
    return keys.document_manifest(doc_id)


def as_read(document: Document, version: str) -> Document:
    """A record as read back: its version kept (the API's ETag), its validity judged today, since the stored
    status is as of the last write and a paper passes its valid-until date without any write."""
    document._version = version
    document.validity = validity_on(document, today())
    return document


def load_document(store: ObjectStore, doc_id: str) -> Document:
    """The stored record of a document, its validity judged today; NotFound for an unknown or malformed id."""
    key = document_key(doc_id)
    try:
        document, version = read_manifest_versioned(store, key, Document)
    except (ObjectNotFound, ValueError) as exc:
        raise NotFound(f"Không tìm thấy tài liệu {doc_id}", f"document {doc_id} not found") from exc
    return as_read(document, version)


def document_version(document: Document) -> str | None:
    """The store's version of the manifest the record was read from or last written as (None for a record
    not read from the store)."""
    return document._version


def iter_documents(store: ObjectStore) -> Iterator[Document]:
    for key in store.list(keys.DOCUMENTS_PREFIX):
        doc_id = keys.doc_id_of_manifest(key)
        if doc_id is not None:
            yield read_manifest(store, key, Document)


def page_records(document: Document, granted: Iterable[str] = ()) -> list[PageRecord]:
    """The document's pages as the index holds them; `granted`: the agencies granted it
    (archive.grants.granted_agencies), who find it as their own."""
    held = sorted(set(granted))
    return [
        PageRecord(
            doc_id=document.id,
            page=page.number,
            text=page.text,
            title=document.title,
            owner_id=document.owner_id,
            doc_type=document.doc_type,
            dossier_code=document.dossier.code if document.dossier else None,
            procedure_code=document.dossier.procedure_code if document.dossier else None,
            doc_date=document.doc_date or document.created_at.date(),
            kind=document.kind.value,
            validity=document.validity.value,
            valid_until=document.valid_until,
            agency=document.agency,
            granted=held,
        )
        for page in document.pages
        if not page.blank
    ]


def document_record(document: Document, reuse_count: int = 0) -> DocumentRecord:
    facts = ReuseFacts.of(document)
    return DocumentRecord(
        **facts.model_dump(mode="json", include=SUMMARY_FACTS),
        revoked=facts.revoked_on is not None,
        doc_type=document.doc_type,
        title=document.title,
        # Entered or confirmed, else as read: the look-up by number must find unconfirmed results too.
        number_symbol=document.number_symbol
        or next((f.value for f in document.fields if f.name is FieldName.NUMBER_SYMBOL), None),
        issuer=document.issuer,
        doc_date=document.doc_date,
        agency=document.agency,
        result_code=document.result_code,
        created_at=document.created_at,
        reuse_count=reuse_count,
        page_count=sum(1 for p in document.pages if not p.blank),
        dossier_code=document.dossier.code if document.dossier else None,
    )


def dossier_record(dossier: Dossier) -> DossierRecord:
    return DossierRecord(
        code=dossier.code,
        agency=dossier.agency,
        procedure_code=dossier.procedure_code,
        owner_id=dossier.applicant.id_number,
        received_on=dossier.received_at.astimezone(LOCAL_TZ).date(),
        status=dossier.status.value,
        closed_at=dossier.access_from,
    )


def reuse_record(event: ReuseEvent) -> ReuseRecord:
    return ReuseRecord(
        id=event.id,
        dossier_code=event.dossier_code,
        doc_id=event.doc_id,
        owner_id=event.owner_id,
        agency=event.agency,
        on=event.at.astimezone(LOCAL_TZ).date(),
    )


# Told of each stored record a rebuild cannot read: its key and why.
Skipped = Callable[[str, str], None]


def _unreadable(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'JSON'}: {e['msg']}" for e in exc.errors()[:3])
    return str(exc)[:300]


def _read(store: ObjectStore, key: str, read: Callable[[bytes], T], skipped: Skipped) -> T | None:
    """The record under `key`, or None once `skipped` is told why it cannot be read (not JSON, or not the
    model). A store that cannot be reached is no reason to skip: that ends the rebuild."""
    try:
        return read(store.get_bytes(key))
    except ObjectNotFound:
        return None  # deleted since it was listed
    except ValueError as exc:  # pydantic's ValidationError, a manifest that is not JSON included
        skipped(key, _unreadable(exc))
        return None


def _log_skip(key: str, reason: str) -> None:
    log.error("reindex skipped %s: %s", key, reason)


def reindex(
    store: ObjectStore,
    index: SearchIndex,
    *,
    progress: Callable[[int], None] | None = None,
    batch: int = 500,
    skipped: Skipped = _log_skip,
) -> int:
    """Rebuild the index from storage alone (pages, document summaries, dossiers, reuse events and the
    audit trail) into a new index that takes the live one's place at the end (SearchIndex.rebuilding), so
    searches answer from the old one meanwhile; returns the pages indexed. A record that cannot be read is
    told to `skipped` and left out, never a reason to stop. A reuse a crash left half-written is finished on
    the way (its marker is in storage), so counts and events agree."""
    with index.rebuilding() as fresh:
        total = _reindex_documents(store, fresh, progress, batch, skipped)
        _reindex_records(store, fresh, batch, skipped)
    return total


def _document(store: ObjectStore, key: str, skipped: Skipped) -> tuple[Document, list[ReuseEvent]] | None:
    """A stored document and its reuses, or None once told to `skipped`."""
    document = _read(store, key, Document.model_validate_json, skipped)
    if document is None:
        return None
    if len(document.pages) < document.page_count:
        skipped(key, f"{len(document.pages)}/{document.page_count} pages in the manifest")
        return None
    try:
        return document, document_reuses(store, document.id)
    except ValueError as exc:  # a reuse marker of the document that cannot be read
        skipped(key, f"reuse marker: {_unreadable(exc)}")
        return None


def _reindex_documents(
    store: ObjectStore,
    index: SearchIndex,
    progress: Callable[[int], None] | None,
    batch: int,
    skipped: Skipped,
) -> int:
    pages: list[PageRecord] = []
    summaries: list[DocumentRecord] = []
    total = 0
    # The grants, from one listing: a document holds those of the dossiers it is linked to.
    grants = all_grants(store.list(keys.DOSSIERS_PREFIX))
    manifests = (k for k in store.list(keys.DOCUMENTS_PREFIX) if keys.doc_id_of_manifest(k) is not None)
    for n, key in enumerate(manifests, 1):
        read = _document(store, key, skipped)
        if read is not None:
            document, reuses = read
            linked = {e.dossier_code for e in reuses} | (
                {document.dossier.code} if document.dossier else set()
            )
            granted = set().union(*(grants.get(code, ()) for code in linked))
            pages.extend(page_records(document, granted))
            summaries.append(document_record(document, len(reuses)))
        if len(pages) >= batch:
            total += index.index_pages(pages)
            pages = []
        if len(summaries) >= batch:
            index.index_documents(summaries)
            summaries = []
        if progress:
            progress(n)
    if pages:
        total += index.index_pages(pages)
    if summaries:
        index.index_documents(summaries)
    return total


def _reindex_records(store: ObjectStore, index: SearchIndex, batch: int, skipped: Skipped) -> None:
    """Reuse events, dossiers and the audit trail; read after the documents, whose unfinished reuses are
    finished by then."""
    events = [
        _read(store, k, ReuseEvent.model_validate_json, skipped) for k in store.list(keys.REUSE_EVENTS_PREFIX)
    ]
    index.index_reuses([reuse_record(e) for e in events if e is not None])
    dossiers = [
        _read(store, k, Dossier.model_validate_json, skipped)
        for k in store.list(keys.DOSSIERS_PREFIX)
        if k.endswith("/manifest.json")
    ]
    index.index_dossiers([dossier_record(d) for d in dossiers if d is not None])
    audit: list[AuditEvent] = []
    for key in store.list(keys.AUDIT_PREFIX):
        event = _read(store, key, AuditEvent.model_validate_json, skipped)
        if event is not None:
            audit.append(event)
        if len(audit) >= batch:
            index.index_audit(audit)
            audit = []
    index.index_audit(audit)
