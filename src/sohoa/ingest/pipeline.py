"""Ingest one file as one document: inspect → hash → check its signatures → OCR its pages on the executor →
store → index. The steps taken are the document's history (records.digitization): copy, extract, code, store.

Order of writes (a document is visible once its manifest exists):
master, page images and words, searchable PDF, manifest, then the by-sha256 pointer. Everything is keyed by
the master's sha256 and the digitizing agency (one record per agency holding the file: `ingest.holdings`),
so a run cut off half-way and started again rewrites the same keys and duplicates nothing; the index is
updated last and can always be rebuilt from storage (`reindex`).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from asn1crypto import x509

from sohoa.archive.documents import document_record, load_document, page_records
from sohoa.archive.dossiers import link_scanned, load_dossier
from sohoa.archive.holdings import doc_id_for, held_by, holder_pointer, pointer_body
from sohoa.archive.integrity import repair_master
from sohoa.archive.lifecycle import save_document
from sohoa.archive.pending import Pending, indexed_or_pending
from sohoa.errors import BadInput, Conflict, NotFound
from sohoa.ingest.duplicates import near_duplicates
from sohoa.ingest.executor import Executor, InlineExecutor
from sohoa.ingest.pages import PageDone, PageTask, run_page
from sohoa.ingest.sniff import Limits, inspect
from sohoa.ocr.fields import extract_fields
from sohoa.ocr.pdf import build_searchable_pdf
from sohoa.ocr.pipeline import OcrOptions
from sohoa.ocr.tesseract import engine_name
from sohoa.records.codes import check_agency, result_code
from sohoa.records.digitization import Step, advance
from sohoa.records.doctypes import DOC_TYPES, type_code
from sohoa.records.dossiers import DossierView
from sohoa.records.identifiers import InvalidIdentifier, validate_owner_id
from sohoa.records.models import Document, DocumentKind, DossierRef, FieldName, Page, nfc
from sohoa.records.signatures import SignatureCheck
from sohoa.search.base import SearchIndex
from sohoa.signatures import verify_pdf
from sohoa.storage import keys
from sohoa.storage.base import ObjectExists, ObjectNotFound, ObjectStore
from sohoa.storage.fixity import sha256_file
from sohoa.storage.manifests import write_manifest


@dataclass(frozen=True, slots=True)
class IngestMeta:
    """What the person ingesting knows about the paper."""

    name: str = "scan"
    owner_id: str | None = None
    doc_type: str | None = None
    dossier_code: str | None = None
    kind: DocumentKind = DocumentKind.COMPONENT
    title: str | None = None
    doc_date: date | None = None
    by: str = "system"  # who ingests: recorded on the dossier link
    agency: str | None = None  # the digitizing agency, when no dossier known here says it


@dataclass(frozen=True, slots=True)
class Progress:
    name: str
    pages_done: int
    pages_total: int


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    document: Document
    created: bool  # False when the same master was already stored
    repaired: bool = False  # the stored master was damaged and has been written back from this file


def validate_meta(meta: IngestMeta) -> IngestMeta:
    if meta.owner_id is not None:
        try:
            validate_owner_id(meta.owner_id)
        except InvalidIdentifier as exc:
            vi, _, en = str(exc).partition(" / ")
            raise BadInput(vi, en or vi) from exc
    if meta.agency is not None:
        try:
            check_agency(meta.agency)  # it is part of a key and of the document's id
        except ValueError as exc:
            vi, _, en = str(exc).partition(" / ")
            raise BadInput(vi, en or vi) from exc
    return meta


def ingest_file(
    path: Path,
    *,
    store: ObjectStore,
    index: SearchIndex,
    meta: IngestMeta | None = None,
    executor: Executor | None = None,
    options: OcrOptions | None = None,
    limits: Limits | None = None,
    progress: Callable[[Progress], None] | None = None,
    scratch_root: Path | None = None,
    trust_anchors: Sequence[x509.Certificate] = (),
) -> IngestOutcome:
    path = Path(path)
    meta = validate_meta(meta or IngestMeta(name=path.name))  # before any work: a bad owner ID is refused
    limits = limits or Limits()
    info = inspect(path, limits)
    sha = sha256_file(path)
    dossier = _known_dossier(store, meta.dossier_code, meta.agency)
    agency = dossier.agency if dossier else meta.agency
    existing = _existing(store, index, sha, path, by=meta.by, agency=agency)
    if existing is not None:
        return existing

    doc_id = doc_id_for(sha, agency)
    # Results often arrive signed: what the signatures say is part of the record, and of the reuse verdict.
    checks = verify_pdf(path, list(trust_anchors)) if info.media_type == "application/pdf" else []
    executor = executor or InlineExecutor()
    options = options or OcrOptions()
    scratch = Path(tempfile.mkdtemp(prefix=f"sohoa-{doc_id}-", dir=scratch_root))
    try:
        tasks = [
            PageTask(str(path), info.media_type, n, dpi, str(scratch), options)
            for n, dpi in enumerate(info.page_dpi or (limits.dpi,) * info.pages, 1)
        ]
        done: dict[int, PageDone] = {}
        for result in executor.map_unordered(run_page, tasks):
            done[result.number] = result
            if progress:
                progress(Progress(meta.name, len(done), info.pages))
        return commit_document(
            store, index, path, info.media_type, info.extension, meta, done, scratch, signatures=checks
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def commit_document(
    store: ObjectStore,
    index: SearchIndex,
    master: Path,
    media_type: str,
    extension: str,
    meta: IngestMeta,
    done: dict[int, PageDone],
    scratch: Path,
    *,
    signatures: Sequence[SignatureCheck] = (),
) -> IngestOutcome:
    """Store pages already read (`done`, numbered from 1) as one document whose master is `master`, index
    it and link it to its dossier. The same master twice at one agency is one document (the first); at
    another agency it is that agency's own document (`ingest.holdings`)."""
    meta = validate_meta(meta)
    dossier = _known_dossier(store, meta.dossier_code, meta.agency)
    if dossier is not None and meta.owner_id is None:
        meta = replace(meta, owner_id=dossier.applicant.id_number)
    sha = sha256_file(master)
    agency = dossier.agency if dossier else meta.agency
    existing = _existing(store, index, sha, master, by=meta.by, agency=agency)
    if existing is not None:
        return existing
    document, created = _store_document(
        store,
        index,
        doc_id_for(sha, agency),
        sha,
        master,
        media_type,
        extension,
        meta,
        done,
        scratch,
        agency=agency,
        procedure_code=dossier.procedure_code if dossier else None,
        signatures=list(signatures),
    )
    indexed_or_pending(store, Pending.DOCUMENT, document.id, lambda: _index_document(index, document))
    if dossier is not None:
        link_scanned(store, dossier.code, document.id, by=meta.by)
    return IngestOutcome(document, created=created)


def _index_document(index: SearchIndex, document: Document) -> None:
    index.index_pages(page_records(document))
    index.index_documents([document_record(document)])


def _known_dossier(store: ObjectStore, code: str | None, agency: str | None) -> DossierView | None:
    """The dossier if sohoa received it at the digitizing agency (any, when none is said); a code from the
    province's one-stop software, or another agency's, is kept as given and linked to nothing, so that what
    is stored (and answered) is the same whatever other agencies hold."""
    if not code:
        return None
    try:
        dossier = load_dossier(store, code)
    except (NotFound, ValueError):
        return None
    return dossier if agency is None or dossier.agency == agency else None


def _doc_type_of(heading: str | None) -> str | None:
    if not heading:
        return None
    return next((t.slug for t in DOC_TYPES if heading.upper().startswith(t.heading)), None)


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


def _existing(
    store: ObjectStore, index: SearchIndex, sha: str, path: Path, *, by: str, agency: str | None
) -> IngestOutcome | None:
    """`agency`'s document already holding this master, if any (another agency's is never looked at).
    Its stored master is checked against the file in hand (the same bytes, by sha256) and written back if
    damaged, so ingesting the original again is how a damaged master is repaired (ingest.integrity; the
    damaged bytes are kept as evidence)."""
    document = held_by(store, sha, agency)
    if document is None:
        return None
    repaired = repair_master(store, index, document, path, by=by) is not None
    return IngestOutcome(document, created=False, repaired=repaired)


def _put_once(store: ObjectStore, key: str, path: Path, sha: str, content_type: str) -> None:
    """Masters are write-once: after a crash the same bytes may already be there, which is fine."""
    try:
        if store.stat(key).sha256 == sha:
            return
    except ObjectNotFound:
        pass
    store.put_file(key, path, content_type=content_type, locked=True)


def _store_pages(
    store: ObjectStore, doc_id: str, done: dict[int, PageDone], scratch: Path, *, title: str
) -> tuple[list[Page], str]:
    """The derivatives of pages already read: each page's image and words, and the searchable PDF."""
    pages: list[Page] = []
    pdf_parts: list[tuple[bytes, bytes, int]] = []
    for number in sorted(done):
        page = done[number]
        image_key = keys.page_image(doc_id, number)
        words_key = keys.page_words(doc_id, number)
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
    pages, pdf_key = _store_pages(
        store, document.id, done, scratch, title=document.title or document.master_name
    )
    read = [p for p in pages if not p.blank]
    document.pages, document.page_count, document.searchable_pdf_key = pages, len(pages), pdf_key
    document.mean_confidence = round(sum(p.mean_confidence for p in read) / len(read), 2) if read else 0.0
    return save_document(store, index, document)


def _store_document(
    store: ObjectStore,
    index: SearchIndex,
    doc_id: str,
    sha: str,
    path: Path,
    media_type: str,
    extension: str,
    meta: IngestMeta,
    done: dict[int, PageDone],
    scratch: Path,
    *,
    agency: str | None,
    procedure_code: str | None,
    signatures: list[SignatureCheck],
) -> tuple[Document, bool]:
    """The document stored, and whether this call made it: of the same file committed side by side, each
    writes the same keys and exactly one creates the by-sha256 pointer (the others: "already stored")."""
    # Everything that can refuse the document is decided before the first write, so a refusal leaves
    # nothing behind; every write after it goes to keys of this content, which a retry rewrites or reuses.
    fields = extract_fields(
        [
            (n, done[n].analysis.words, done[n].analysis.width)
            for n in sorted(done)
            if not done[n].analysis.blank
        ]
    )
    found = {f.name: f.value for f in fields}
    doc_type = meta.doc_type or _doc_type_of(found.get(FieldName.DOC_TYPE))
    code_of_type = type_code(doc_type)
    coded = meta.kind is DocumentKind.RESULT and meta.owner_id is not None
    if coded:
        keys.result_code_claim(result_code(code_of_type, meta.owner_id or ""))  # a key it can be kept under

    master_key = keys.document_master(doc_id, sha, extension)
    _put_once(store, master_key, path, sha, media_type)
    pages, pdf_key = _store_pages(store, doc_id, done, scratch, title=meta.title or meta.name)
    history = advance([], Step.COPY, by=meta.by, pages=str(len(pages)), source=media_type)
    history = advance(history, Step.EXTRACT, by=meta.by, fields=str(len(fields)))
    read = [p for p in pages if not p.blank]
    document = Document(
        id=doc_id,
        kind=meta.kind,
        doc_type=doc_type,
        agency=agency,
        fields=fields,
        title=meta.title,
        owner_id=meta.owner_id,
        dossier=DossierRef(code=meta.dossier_code, owner_id=meta.owner_id, procedure_code=procedure_code)
        if meta.dossier_code
        else None,
        doc_date=meta.doc_date,
        master_key=master_key,
        master_sha256=sha,
        master_name=nfc(meta.name),
        master_media_type=media_type,
        master_size=path.stat().st_size,
        searchable_pdf_key=pdf_key,
        signatures=signatures,
        pages=pages,
        page_count=len(pages),
        ocr_engine=engine_name(),
        mean_confidence=round(sum(p.mean_confidence for p in read) / len(read), 2) if read else 0.0,
    )
    if coded and document.owner_id:
        document.result_code = claim_result_code(store, doc_id, code_of_type, document.owner_id)
        history = advance(history, Step.CODE, by=meta.by, code=document.result_code)
    document.near_duplicates = near_duplicates(store, index, document)
    document.history = advance(history, Step.STORE, by=meta.by)
    # The manifest makes the document visible, the pointer makes it known by content: both last.
    write_manifest(store, keys.document_manifest(doc_id), document)
    try:
        store.create_bytes(holder_pointer(sha, agency), pointer_body(doc_id), content_type="application/json")
    except ObjectExists:
        return load_document(store, doc_id), False
    return document, True
