"""A document read as a whole, from its pages read: the fields extracted from their words and the searchable
PDF built from their images and text layers (the two document-level steps of ocr/), both decided and made
before anything is written; and the derivatives rebuilt, master untouched, when a page is read again at
review. What is kept where is the archive's business (`archive.writes`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sohoa.archive.writes import check_result_code, replace_derivatives
from sohoa.ingest.pages import PageDone, words_of
from sohoa.ocr.fields import extract_fields
from sohoa.ocr.pdf import build_searchable_pdf
from sohoa.records.doctypes import DOC_TYPES, type_code
from sohoa.records.models import Document, DocumentKind, ExtractedField, FieldName
from sohoa.search.base import SearchIndex
from sohoa.storage.base import ObjectStore


@dataclass(frozen=True, slots=True)
class Extracted:
    """What was read off the pages, and what it makes of the document: its fields, its type, whether it
    gets a result code (a result with a known owner), the searchable PDF built, and what read it."""

    fields: list[ExtractedField]
    doc_type: str | None
    code_of_type: str
    coded: bool
    searchable_pdf: Path
    engine: str


def read_document(
    done: dict[int, PageDone],
    *,
    doc_type: str | None,
    kind: DocumentKind,
    owner_id: str | None,
    title: str,
    scratch: Path,
) -> Extracted:
    """Extract the fields from the words of the pages read, decide the type (what the person said, or the
    heading read) and the result code's prefix, and build the searchable PDF: everything that can refuse
    the document is decided here, before the first write, so a refusal leaves nothing behind."""
    # One page's words at a time, read from its file as the extraction comes to it.
    fields = extract_fields(
        (n, words_of(done[n]), done[n].summary.width) for n in sorted(done) if not done[n].summary.blank
    )
    found = {f.name: f.value for f in fields}
    doc_type = doc_type or _doc_type_of(found.get(FieldName.DOC_TYPE))
    code_of_type = type_code(doc_type)
    coded = kind is DocumentKind.RESULT and owner_id is not None
    if coded:
        check_result_code(code_of_type, owner_id or "")
    pdf = searchable_pdf(done, scratch, title=title)
    return Extracted(fields, doc_type, code_of_type, coded, pdf, engines_of(done))


def _doc_type_of(heading: str | None) -> str | None:
    if not heading:
        return None
    return next((t.slug for t in DOC_TYPES if heading.upper().startswith(t.heading)), None)


def engines_of(done: dict[int, PageDone]) -> str:
    """What read the pages (each page names its engine: pages may be read on other machines)."""
    return ", ".join(sorted({page.engine for page in done.values() if page.engine}))


def searchable_pdf(done: dict[int, PageDone], scratch: Path, *, title: str) -> Path:
    """The searchable PDF of pages already read (their cleaned images under their text layers)."""
    parts = [
        (Path(page.image_path), Path(page.text_pdf_path), page.summary.dpi)
        for page in (done[n] for n in sorted(done))
    ]
    path = scratch / "searchable.pdf"
    build_searchable_pdf(parts, path, title=title)
    return path


def reread_document(
    store: ObjectStore, index: SearchIndex, document: Document, done: dict[int, PageDone], scratch: Path
) -> Document:
    """Replace a document's derivatives with pages read again (a page turned the right way at review).
    The master, as captured, does not change; the page images, words and searchable PDF are rebuilt."""
    pdf = searchable_pdf(done, scratch, title=document.title or document.master_name)
    return replace_derivatives(store, index, document, done, pdf)
