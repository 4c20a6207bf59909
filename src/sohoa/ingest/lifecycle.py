"""Changes to a stored document after ingest: revocation of a result, and an officer confirming or
correcting the fields read from it. Each rewrites the manifest and brings the index up to date."""

from __future__ import annotations

from sohoa.errors import BadInput, Conflict
from sohoa.ingest.documents import document_record, load_document, page_records
from sohoa.ingest.dossiers import reuse_count
from sohoa.records.identifiers import InvalidIdentifier, parse_number_symbol
from sohoa.records.models import (
    Document,
    ExtractedField,
    FieldName,
    Revocation,
    ValidityStatus,
    nfc,
    utcnow,
)
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
    store: ObjectStore, index: SearchIndex, doc_id: str, values: dict[FieldName, str], *, by: str
) -> Document:
    """Confirm fields as read, or correct them (the value OCR read is kept as `original`); confirmed
    values become the document's own (number and symbol, issuer, issue date)."""
    if not values:
        raise BadInput("Chưa có trường nào để xác nhận", "no field to confirm")
    document = load_document(store, doc_id)
    now = utcnow()
    by_name = {f.name: f for f in document.fields}
    for name, raw in values.items():
        value = nfc(raw.strip())
        if name is FieldName.NUMBER_SYMBOL:
            try:
                value = str(parse_number_symbol(value))
            except InvalidIdentifier as exc:
                vi, _, en = str(exc).partition(" / ")
                raise BadInput(vi, en or vi) from exc
            document.number_symbol = value
        elif name is FieldName.ISSUER:
            document.issuer = value
        elif name is FieldName.ISSUE_DATE:
            try:
                document.doc_date = type(now.date()).fromisoformat(value)
            except ValueError as exc:
                raise BadInput(f"Ngày không hợp lệ: {value}", f"invalid date: {value} (YYYY-MM-DD)") from exc
        old = by_name.get(name)
        field = ExtractedField(
            name=name,
            value=value,
            page=old.page if old else 1,
            box=old.box if old else None,
            confirmed=True,
            confirmed_by=by,
            confirmed_at=now,
            original=old.value if old and old.value != value else None,
        )
        by_name[name] = field
    document.fields = list(by_name.values())
    return save_document(store, index, document)
