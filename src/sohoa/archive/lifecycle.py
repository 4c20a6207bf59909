"""Changes to a stored document after ingest: revocation of a result, and an officer confirming or
correcting the fields read from it. Each rewrites the manifest and brings the index up to date.

Every change goes through `update_document`: the change is applied to the manifest as stored now and written
back only over that version (storage.manifests.update_manifest), so two officers changing one document at
once both keep their change, or the second is refused for what the first did (revoking twice), never lost.
`if_match` carries the versions a client read (HTTP If-Match): a change made on an out-of-date copy is
refused with 412 instead of being applied to a record the client has not seen."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Mapping, Sequence

from sohoa.archive.documents import as_read, document_key, document_record, document_version, page_records
from sohoa.archive.dossiers import reuse_count
from sohoa.archive.grants import granted_agencies
from sohoa.archive.outbox import emit_changes
from sohoa.errors import BadInput, Conflict, NotFound, PreconditionFailed
from sohoa.records.confirmations import FieldChange, changes_by_name, confirmed
from sohoa.records.events import EventKind, changes_of
from sohoa.records.models import Document, FieldName, Revocation, ValidityStatus, nfc, utcnow
from sohoa.search.base import SearchIndex
from sohoa.storage import keys
from sohoa.storage.base import ObjectNotFound, ObjectStore
from sohoa.storage.manifests import update_manifest, write_manifest


def index_document(store: ObjectStore, index: SearchIndex, document: Document) -> Document:
    """Bring the index up to date with a stored document."""
    index.index_pages(page_records(document, granted_agencies(store, document)))
    index.index_documents([document_record(document, reuse_count(store, document.id))])
    return document


def save_document(store: ObjectStore, index: SearchIndex, document: Document) -> Document:
    """Rewrite the manifest of a changed document and bring the index up to date. A record read from the
    store is written back only over the version it was read at (VersionConflict, 409, if another write
    came between), so a stale copy never overwrites a newer one; prefer `update_document`, which retries."""
    version = write_manifest(
        store, keys.document_manifest(document.id), document, if_version=document_version(document)
    )
    document._version = version
    return index_document(store, index, document)


def update_document(
    store: ObjectStore,
    index: SearchIndex,
    doc_id: str,
    change: Callable[[Document], Document | None],
    *,
    if_match: Collection[str] | None = None,
) -> Document:
    """Apply `change` to the document as stored now (its validity judged today, as `load_document` gives
    it) and write it back without losing a concurrent change; None from `change` writes nothing. The
    index is brought up to date when something was written."""
    key = document_key(doc_id)
    written = False
    kinds: list[EventKind] = []

    def judged(stored: Document) -> Document | None:
        nonlocal written, kinds
        before = as_read(stored, "")
        changed = change(before.model_copy(deep=True))
        written = changed is not None
        kinds = changes_of(before, changed) if changed is not None else []
        return changed

    try:
        document, version = update_manifest(store, key, Document, judged, if_match=if_match)
    except ObjectNotFound as exc:
        raise NotFound(f"Không tìm thấy tài liệu {doc_id}", f"document {doc_id} not found") from exc
    except PreconditionFailed:
        raise PreconditionFailed(
            f"Tài liệu {doc_id} đã được sửa sau khi bạn mở; chưa lưu gì, hãy tải lại rồi sửa lại",
            f"document {doc_id} was changed since you read it (If-Match does not match its ETag); nothing "
            "was saved, read it again and redo the change",
        ) from None
    document._version = version
    if not written:
        return document
    # The one place every change to a document passes: its events, once it is stored (archive.outbox).
    emit_changes(store, kinds, uuid.uuid4().hex, document)
    return index_document(store, index, document)


def revoke(
    store: ObjectStore,
    index: SearchIndex,
    doc_id: str,
    reason: str,
    *,
    by: str,
    if_match: Collection[str] | None = None,
) -> Document:
    def change(document: Document) -> Document:
        if document.revocation is not None:
            raise Conflict(f"Tài liệu {doc_id} đã bị thu hồi", f"document {doc_id} is already revoked")
        text = nfc(reason.strip())
        if len(text) < 3:
            raise BadInput("Cần ghi rõ lý do thu hồi", "a revocation needs a reason (3 characters or more)")
        document.revocation = Revocation(reason=text, by=by)
        document.validity = ValidityStatus.REVOKED
        return document

    return update_document(store, index, doc_id, change, if_match=if_match)


def confirm_fields(
    store: ObjectStore,
    index: SearchIndex,
    doc_id: str,
    changes: Sequence[FieldChange] = (),
    *,
    values: Mapping[FieldName, str] | None = None,
    by: str,
    if_match: Collection[str] | None = None,
) -> Document:
    """Confirm fields as read, or correct them (records.confirmations): `changes` name fields by their
    position in document.fields (or add one OCR missed); `values` is the older form, by name (the first
    field of that name). Confirmed values become the document's own fields. A refused change writes
    nothing. Positions are those of the record as stored when the change is applied."""
    at = utcnow()

    def change(document: Document) -> Document:
        todo = [*changes, *changes_by_name(document.fields, values or {})]
        return confirmed(document, todo, by=by, at=at)

    return update_document(store, index, doc_id, change, if_match=if_match)
