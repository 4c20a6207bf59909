"""Documents written straight to storage, without reading any page: for tests about what is done with
records (indexing them, replaying them, rebuilding the index), where OCR would only cost time."""

from __future__ import annotations

from sohoa.records.models import Document, Page
from sohoa.storage import keys
from sohoa.storage.base import ObjectStore
from sohoa.storage.manifests import write_manifest


def store_document(
    store: ObjectStore,
    n: int,
    texts: list[str],
    *,
    page_count: int | None = None,
    agency: str | None = None,
) -> str:
    """Document number `n` (its id from `n`) with one page per text, its manifest stored; its id.
    `page_count` may disagree with the pages, to make a record that cannot be read."""
    doc_id = f"{n:024x}"
    document = Document(
        id=doc_id,
        master_key=keys.document_manifest(doc_id).replace("manifest.json", "master.pdf"),
        master_sha256="0" * 64,
        master_name=f"giay-{n}.pdf",
        master_media_type="application/pdf",
        master_size=1,
        pages=[Page(number=p, text=t, image_key="i", words_key="w") for p, t in enumerate(texts, 1)],
        page_count=len(texts) if page_count is None else page_count,
        agency=agency,
    )
    write_manifest(store, keys.document_manifest(doc_id), document)
    return doc_id
