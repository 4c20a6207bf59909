"""A document's derivatives, from pages already read: each page's image and words, and the searchable PDF
built from them; and its master, written once. Rebuilt, master untouched, when a page is read again at
review."""

from __future__ import annotations

import json
from pathlib import Path

from sohoa.archive.lifecycle import save_document
from sohoa.ingest.pages import PageDone
from sohoa.ocr.pdf import build_searchable_pdf
from sohoa.records.models import Document, Page
from sohoa.search.base import SearchIndex
from sohoa.storage import keys
from sohoa.storage.base import ObjectNotFound, ObjectStore


def put_master(store: ObjectStore, key: str, path: Path, sha: str, content_type: str) -> None:
    """Masters are write-once: after a crash the same bytes may already be there, which is fine."""
    try:
        if store.stat(key).sha256 == sha:
            return
    except ObjectNotFound:
        pass
    store.put_file(key, path, content_type=content_type, locked=True)


def store_pages(
    store: ObjectStore, doc_id: str, done: dict[int, PageDone], scratch: Path, *, title: str
) -> tuple[list[Page], str]:
    """The derivatives of pages already read: each page's image and words, and the searchable PDF."""
    pages: list[Page] = []
    pdf_parts: list[tuple[bytes, bytes, int]] = []
    for number in sorted(done):
        page = done[number]
        image_key = keys.page_image(doc_id, number)
        words_key = keys.page_words(doc_id, number)
        if page.stored_image:
            store.copy(page.stored_image, image_key)  # on the server: the bytes are not sent back up
        else:
            store.put_file(image_key, Path(page.image_path), content_type="image/jpeg")
        store.put_bytes(
            words_key,
            json.dumps([w.model_dump() for w in page.analysis.words], ensure_ascii=False).encode(),
            content_type="application/json",
        )
        pages.append(
            Page(
                number=number,
                image_key=image_key,
                words_key=words_key,
                **page.analysis.model_dump(exclude={"words"}),
            )
        )
        pdf_parts.append(
            (Path(page.image_path).read_bytes(), Path(page.text_pdf_path).read_bytes(), page.analysis.dpi)
        )
    pdf_path = scratch / "searchable.pdf"
    build_searchable_pdf(pdf_parts, pdf_path, title=title)
    pdf_key = keys.searchable_pdf(doc_id)
    store.put_file(pdf_key, pdf_path, content_type="application/pdf")
    return pages, pdf_key


def reread_document(
    store: ObjectStore, index: SearchIndex, document: Document, done: dict[int, PageDone], scratch: Path
) -> Document:
    """Replace a document's derivatives with pages read again (a page turned the right way at review).
    The master, as captured, does not change; the page images, words and searchable PDF are rebuilt."""
    pages, pdf_key = store_pages(
        store, document.id, done, scratch, title=document.title or document.master_name
    )
    read = [p for p in pages if not p.blank]
    document.pages, document.page_count, document.searchable_pdf_key = pages, len(pages), pdf_key
    document.mean_confidence = round(sum(p.mean_confidence for p in read) / len(read), 2) if read else 0.0
    return save_document(store, index, document)
