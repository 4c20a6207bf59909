"""Reading documents back from storage, and turning them into the page records the index holds."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from sohoa.errors import NotFound
from sohoa.records.models import Document
from sohoa.search.base import PageRecord, SearchIndex
from sohoa.storage import keys
from sohoa.storage.base import ObjectNotFound, ObjectStore
from sohoa.storage.manifests import read_manifest

_DOC_ID = re.compile(r"[0-9a-f]{24}")


def load_document(store: ObjectStore, doc_id: str) -> Document:
    """The stored record of a document; NotFound for an unknown or malformed id."""
    if not _DOC_ID.fullmatch(doc_id):
        raise NotFound(f"Không tìm thấy tài liệu {doc_id[:40]}", f"document {doc_id[:40]} not found")
    try:
        return read_manifest(store, keys.document_manifest(doc_id), Document)
    except (ObjectNotFound, ValueError) as exc:
        raise NotFound(f"Không tìm thấy tài liệu {doc_id}", f"document {doc_id} not found") from exc


def iter_documents(store: ObjectStore) -> Iterator[Document]:
    for key in store.list(keys.DOCUMENTS_PREFIX):
        doc_id = keys.doc_id_of_manifest(key)
        if doc_id is not None:
            yield read_manifest(store, key, Document)


def page_records(document: Document) -> list[PageRecord]:
    return [
        PageRecord(
            doc_id=document.id,
            page=page.number,
            text=page.text,
            title=document.title,
            owner_id=document.owner_id,
            doc_type=document.doc_type,
            dossier_code=document.dossier.code if document.dossier else None,
            doc_date=document.doc_date or document.created_at.date(),
            kind=document.kind.value,
            validity=document.validity.value,
        )
        for page in document.pages
        if not page.blank
    ]


def reindex(
    store: ObjectStore, index: SearchIndex, *, progress: Callable[[int], None] | None = None, batch: int = 500
) -> int:
    """Drop the index and rebuild it from the manifests in storage alone; returns the pages indexed."""
    index.clear()
    pending: list[PageRecord] = []
    total = 0
    for n, document in enumerate(iter_documents(store), 1):
        pending.extend(page_records(document))
        if len(pending) >= batch:
            total += index.index_pages(pending)
            pending = []
        if progress:
            progress(n)
    if pending:
        total += index.index_pages(pending)
    return total
