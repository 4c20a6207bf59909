"""Writing a new document's record: the archive owns where each part of it lies in storage, the pipeline
hands it values (the master on disk, the pages read, the searchable PDF built, the record).

The order of writes is what keeps a crash harmless, and the caller keeps it: `store_master`, then
`store_derivatives` (each page's image and words, then the searchable PDF), `claim_result_code` when the
document gets one, and `publish` last: the manifest makes the document visible, the by-sha256 pointer makes
it known by content. Every key is derived from the content (and the digitizing agency), so a run cut off
half-way and started again rewrites or reuses the same keys and duplicates nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

from sohoa.archive.documents import document_record, load_document, page_records
from sohoa.archive.grants import granted_agencies
from sohoa.archive.holdings import holder_pointer, pointer_body
from sohoa.archive.lifecycle import save_document
from sohoa.archive.outbox import emit_published
from sohoa.archive.pending import Pending, indexed_or_pending
from sohoa.errors import Conflict
from sohoa.records.codes import result_code
from sohoa.records.models import Document, Page, PageSummary
from sohoa.search.base import SearchIndex
from sohoa.storage import keys
from sohoa.storage.base import ObjectExists, ObjectStore
from sohoa.storage.manifests import write_manifest
from sohoa.storage.once import put_file_once


class ReadPage(Protocol):
    """A page read, as the pipeline holds it: what was read but the words, and where its cleaned image and
    its words (`records.words`, the encoding kept in storage) are."""

    @property
    def summary(self) -> PageSummary: ...

    @property
    def image_path(self) -> str: ...

    @property
    def words_path(self) -> str: ...

    @property
    def stored_image(self) -> str | None: ...  # its key when the image is in storage already


def store_master(
    store: ObjectStore, doc_id: str, path: Path, sha: str, extension: str, media_type: str
) -> str:
    """Keep the file as captured under its document; returns its key. Masters are write-once: after a
    crash, or while the same file is committed side by side, the same bytes may already be there (or
    arrive between the look and the write), which is fine; other bytes under the key stay refused."""
    key = keys.document_master(doc_id, sha, extension)
    put_file_once(store, key, path, sha256=sha, content_type=media_type, locked=True)
    return key


def store_derivatives(
    store: ObjectStore, doc_id: str, pages: Mapping[int, ReadPage], searchable_pdf: Path
) -> tuple[list[Page], str]:
    """Keep each page's cleaned image and words (pages numbered from 1), one page at a time from their
    files, then the searchable PDF; returns the pages as the record lists them and the PDF's key."""
    kept: list[Page] = []
    for number in sorted(pages):
        page = pages[number]
        image_key = keys.page_image(doc_id, number)
        words_key = keys.page_words(doc_id, number)
        if page.stored_image:
            store.copy(page.stored_image, image_key)  # on the server: the bytes are not sent back up
        else:
            store.put_file(image_key, Path(page.image_path), content_type="image/jpeg")
        # Sent from its file as the reader wrote it: a page's words are never all in memory here.
        store.put_file(words_key, Path(page.words_path), content_type="application/json")
        kept.append(
            Page(number=number, image_key=image_key, words_key=words_key, **page.summary.model_dump())
        )
    pdf_key = keys.searchable_pdf(doc_id)
    store.put_file(pdf_key, searchable_pdf, content_type="application/pdf")
    return kept, pdf_key


def mean_confidence(pages: Sequence[Page]) -> float:
    """The document's mean OCR confidence: over the pages read (blank pages have none)."""
    read = [p for p in pages if not p.blank]
    return round(sum(p.mean_confidence for p in read) / len(read), 2) if read else 0.0


def replace_derivatives(
    store: ObjectStore,
    index: SearchIndex,
    document: Document,
    pages: Mapping[int, ReadPage],
    searchable_pdf: Path,
) -> Document:
    """Replace a stored document's derivatives with pages read again (a page turned the right way at
    review). The master, as captured, does not change; the record is rewritten and indexed."""
    kept, pdf_key = store_derivatives(store, document.id, pages, searchable_pdf)
    document.pages, document.page_count, document.searchable_pdf_key = kept, len(kept), pdf_key
    document.mean_confidence = mean_confidence(kept)
    return save_document(store, index, document)


def check_result_code(code_of_type: str, owner_id: str) -> None:
    """Refuse (before anything is written) a result code that no key could hold."""
    keys.result_code_claim(result_code(code_of_type, owner_id))


def claim_result_code(store: ObjectStore, doc_id: str, code_of_type: str, owner_id: str) -> str:
    """The digitization result code, unique: the first free of CODE.OWNER, CODE.OWNER.2, …"""
    for n in range(1, 1000):
        code = result_code(code_of_type, owner_id, n)
        claim = json.dumps({"doc_id": doc_id}).encode()
        try:
            store.create_bytes(keys.result_code_claim(code), claim, content_type="application/json")
        except ObjectExists:
            # After a crash the same document may have claimed it already.
            if json.loads(store.get_bytes(keys.result_code_claim(code)))["doc_id"] == doc_id:
                return code
            continue
        return code
    raise Conflict("Không cấp được mã kết quả số hóa", "no digitization result code left")


def publish(store: ObjectStore, index: SearchIndex, document: Document) -> tuple[Document, bool]:
    """Make a stored document visible (its manifest) and known by its content (the holder's by-sha256
    pointer), both last, then index it (or mark it pending when the index cannot take it now). Returns the
    document and whether this call made it: of the same file committed side by side, each writes the same
    keys and exactly one creates the pointer; the others get the stored record ("already stored")."""
    write_manifest(store, keys.document_manifest(document.id), document)
    # Announced once visible and before the pointer: a commit cut off here is run again and announces the
    # same events (their ids come from the document), so none is lost.
    emit_published(store, document)
    created = True
    try:
        store.create_bytes(
            holder_pointer(document.master_sha256, document.agency),
            pointer_body(document.id),
            content_type="application/json",
        )
    except ObjectExists:
        document, created = load_document(store, document.id), False
    indexed_or_pending(store, Pending.DOCUMENT, document.id, lambda: _index_new(store, index, document))
    return document, created


def _index_new(store: ObjectStore, index: SearchIndex, document: Document) -> None:
    index.index_pages(page_records(document, granted_agencies(store, document)))
    index.index_documents([document_record(document)])
