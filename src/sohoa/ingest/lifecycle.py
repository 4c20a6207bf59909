"""Changes to a stored document after ingest: revocation of a result, and an officer confirming or
correcting the fields read from it. Each rewrites the manifest and brings the index up to date."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sohoa.errors import BadInput, Conflict
from sohoa.ingest.documents import document_record, load_document, page_records
from sohoa.ingest.dossiers import reuse_count
from sohoa.records.confirmations import FieldChange, InvalidField, changes_by_name, confirmed
from sohoa.records.models import Document, FieldName, Revocation, ValidityStatus, nfc, utcnow
from sohoa.search.base import SearchIndex
from sohoa.search.records import RecordIndex
from sohoa.storage import keys
from sohoa.storage.base import ObjectStore
from sohoa.storage.manifests import write_manifest


def save_document(store: ObjectStore, index: SearchIndex, document: Document) -> Document:
    """Rewrite the manifest of a changed document and bring the index up to date."""
    write_manifest(store, keys.document_manifest(document.id), document)
    index.index_pages(page_records(document))
    if isinstance(index, RecordIndex):
        index.index_documents([document_record(document, reuse_count(store, document.id))])
    return document


def revoke(store: ObjectStore, index: SearchIndex, doc_id: str, reason: str, *, by: str) -> Document:
    document = load_document(store, doc_id)
    if document.revocation is not None:
        raise Conflict(f"Tài liệu {doc_id} đã bị thu hồi", f"document {doc_id} is already revoked")
    reason = nfc(reason.strip())
    if len(reason) < 3:
        raise BadInput("Cần ghi rõ lý do thu hồi", "a revocation needs a reason (3 characters or more)")
    document.revocation = Revocation(reason=reason, by=by)
    document.validity = ValidityStatus.REVOKED
    return save_document(store, index, document)


def confirm_fields(
    store: ObjectStore,
    index: SearchIndex,
    doc_id: str,
    changes: Sequence[FieldChange] = (),
    *,
    values: Mapping[FieldName, str] | None = None,
    by: str,
) -> Document:
    """Confirm fields as read, or correct them (records.confirmations): `changes` name fields by their
    position in document.fields (or add one OCR missed); `values` is the older form, by name (the first
    field of that name). Confirmed values become the document's own fields. A refused change writes
    nothing."""
    document = load_document(store, doc_id)
    todo = [*changes, *changes_by_name(document.fields, values or {})]
    try:
        updated = confirmed(document, todo, by=by, at=utcnow())
    except InvalidField as exc:
        vi, _, en = str(exc).partition(" / ")
        raise BadInput(vi, en or vi) from exc
    return save_document(store, index, updated)
