"""Ingest one file as one document: inspect → hash → check its signatures → OCR its pages on the executor →
extract its fields → store → index. The steps taken are the document's history (records.digitization): copy,
extract, code, store. `commit_document` is the commit step every way in shares (a stack's groups too).

Order of writes (a document is visible once its manifest exists), each made by the archive
(`archive.writes`) from values this module hands it: master, page images and words, searchable PDF,
manifest, then the by-sha256 pointer. Everything is keyed by the master's sha256 and the digitizing agency
(one record per agency holding the file: `archive.holdings`),
so a run cut off half-way and started again rewrites the same keys and duplicates nothing; the index is
updated last and can always be rebuilt from storage (`reindex`).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from asn1crypto import x509

from sohoa import signatures, telemetry
from sohoa.archive.dossiers import link_scanned, load_dossier
from sohoa.archive.holdings import doc_id_for, held_by
from sohoa.archive.integrity import repair_master
from sohoa.archive.pending import index_again
from sohoa.archive.writes import claim_result_code, mean_confidence, publish, store_derivatives, store_master
from sohoa.errors import NotFound
from sohoa.ingest.context import IngestContext
from sohoa.ingest.derivatives import Extracted, read_document
from sohoa.ingest.duplicates import near_duplicates
from sohoa.ingest.executor import Executor
from sohoa.ingest.pages import PageDone, PageTask, run_page
from sohoa.ingest.sniff import Limits, inspect
from sohoa.ocr.options import OcrOptions
from sohoa.records.codes import check_agency
from sohoa.records.digitization import Step, advance
from sohoa.records.dossiers import DossierView
from sohoa.records.identifiers import validate_owner_id
from sohoa.records.models import Document, DocumentKind, DossierRef, nfc
from sohoa.records.signatures import SignatureCheck
from sohoa.search.base import SearchIndex
from sohoa.signatures.presence import may_be_signed
from sohoa.storage.base import ObjectStore
from sohoa.storage.fixity import sha256_file


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
        validate_owner_id(meta.owner_id)
    if meta.agency is not None:
        check_agency(meta.agency)  # it is part of a key and of the document's id
    return meta


@dataclass(frozen=True, slots=True)
class Master:
    """The file a document is made of, as captured, hashed once: its sha256 names the document."""

    path: Path
    sha256: str
    media_type: str
    extension: str
    signatures: tuple[SignatureCheck, ...] = ()  # what its digital signatures say, checked once


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a document belongs: what the person said, the dossier it joins (one of the digitizing
    agency's, when sohoa knows it) and that agency."""

    meta: IngestMeta
    dossier: DossierView | None
    agency: str | None


def place(ctx: IngestContext, meta: IngestMeta) -> Placement:
    """Check what the person said (a bad owner ID is refused before any work) and find its dossier; a
    document of a known dossier is its applicant's unless the person said otherwise."""
    meta = validate_meta(meta)
    dossier = _known_dossier(ctx.store, meta.dossier_code, meta.agency)
    if dossier is not None and meta.owner_id is None:
        meta = replace(meta, owner_id=dossier.applicant.id_number)
    return Placement(meta, dossier, dossier.agency if dossier else meta.agency)


def signatures_of(ctx: IngestContext, path: Path, media_type: str) -> tuple[SignatureCheck, ...]:
    """A file's signatures checked against the context's trust anchors: one rule for every way in, since
    results often arrive signed and what the signatures say is part of the record and its reuse verdict."""
    if media_type != "application/pdf" or not may_be_signed(path):
        return ()
    return tuple(signatures.verify_pdf(path, list(ctx.trust_anchors)))


def ingest_one(
    ctx: IngestContext,
    path: Path,
    meta: IngestMeta | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> IngestOutcome:
    """One file as one document: inspect, hash, check signatures, read its pages on the executor, commit."""
    path = Path(path)
    placed = place(ctx, meta or IngestMeta(name=path.name))
    ctx.executor.warm()  # the page workers start while the file is inspected and hashed
    info = inspect(path, ctx.limits)
    sha = sha256_file(path)
    # A file already held is not read again (its stored master is checked, and repaired if damaged).
    existing = _existing(ctx, sha, path, by=placed.meta.by, agency=placed.agency)
    if existing is not None:
        return existing
    master = Master(path, sha, info.media_type, info.extension, signatures_of(ctx, path, info.media_type))
    scratch = ctx.scratch(f"sohoa-{doc_id_for(sha, placed.agency)}-")
    try:
        tasks = [
            PageTask(str(path), info.media_type, n, dpi, str(scratch), ctx.options)
            for n, dpi in enumerate(info.page_dpi or (ctx.limits.dpi,) * info.pages, 1)
        ]
        done: dict[int, PageDone] = {}
        for result in ctx.executor.map_unordered(run_page, tasks):
            telemetry.page_read(result.seconds)  # counted here, in the process that commits, not the reader
            done[result.number] = result
            if progress:
                progress(Progress(placed.meta.name, len(done), info.pages))
        return commit_document(ctx, master, placed, done, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def commit_document(
    ctx: IngestContext, master: Master, placed: Placement, done: dict[int, PageDone], scratch: Path
) -> IngestOutcome:
    """Store pages already read (`done`, numbered from 1) as one document whose master is `master`, index
    it and link it to its dossier: the one commit step of every way in. The same master twice at one
    agency is one document (the first); at another agency it is that agency's own document
    (`archive.holdings`)."""
    # Looked up again here, not only before reading: the same file may have been committed meanwhile
    # (side by side, or a stack cut again after a crash), and its stored master is then checked instead.
    existing = _existing(ctx, master.sha256, master.path, by=placed.meta.by, agency=placed.agency)
    if existing is not None:
        return existing
    meta = placed.meta
    extracted = read_document(
        done,
        doc_type=meta.doc_type,
        kind=meta.kind,
        owner_id=meta.owner_id,
        title=meta.title or meta.name,
        scratch=scratch,
    )
    document, created = _store_document(ctx, master, placed, done, extracted)
    if placed.dossier is not None:
        link_scanned(ctx.store, placed.dossier.code, document.id, by=meta.by)
    return IngestOutcome(document, created=created)


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


def _existing(
    ctx: IngestContext, sha: str, path: Path, *, by: str, agency: str | None
) -> IngestOutcome | None:
    """`agency`'s document already holding this master, if any (another agency's is never looked at).
    Its stored master is checked against the file in hand (the same bytes, by sha256) and written back if
    damaged, so ingesting the original again is how a damaged master is repaired (archive.integrity; the
    damaged bytes are kept as evidence); and it is indexed again, so one missing from the index (stored
    while the index was down) is found by search after the file is brought again."""
    document = held_by(ctx.store, sha, agency)
    if document is None:
        return None
    repaired = repair_master(ctx.store, ctx.index, document, path, by=by) is not None
    index_again(ctx.store, ctx.index, document)  # "already stored" must also mean "found by search"
    return IngestOutcome(document, created=False, repaired=repaired)


def _store_document(
    ctx: IngestContext, master: Master, placed: Placement, done: dict[int, PageDone], extracted: Extracted
) -> tuple[Document, bool]:
    """The document stored through the archive, and whether this call made it (of the same file committed
    side by side, exactly one does: `archive.writes.publish`)."""
    # Every write goes to keys of this content, which a retry rewrites or reuses.
    store, meta, agency, sha = ctx.store, placed.meta, placed.agency, master.sha256
    doc_id = doc_id_for(sha, agency)
    procedure_code = placed.dossier.procedure_code if placed.dossier else None
    media_type = master.media_type
    master_key = store_master(store, doc_id, master.path, sha, master.extension, media_type)
    pages, pdf_key = store_derivatives(store, doc_id, done, extracted.searchable_pdf)
    history = advance([], Step.COPY, by=meta.by, pages=str(len(pages)), source=media_type)
    history = advance(history, Step.EXTRACT, by=meta.by, fields=str(len(extracted.fields)))
    document = Document(
        id=doc_id,
        kind=meta.kind,
        doc_type=extracted.doc_type,
        agency=agency,
        fields=extracted.fields,
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
        master_size=master.path.stat().st_size,
        searchable_pdf_key=pdf_key,
        signatures=list(master.signatures),
        pages=pages,
        page_count=len(pages),
        ocr_engine=extracted.engine,
        mean_confidence=mean_confidence(pages),
    )
    if extracted.coded and document.owner_id:
        document.result_code = claim_result_code(store, doc_id, extracted.code_of_type, document.owner_id)
        history = advance(history, Step.CODE, by=meta.by, code=document.result_code)
    document.near_duplicates = near_duplicates(store, ctx.index, document)
    document.history = advance(history, Step.STORE, by=meta.by)
    # The manifest makes the document visible, the pointer makes it known by content: both last.
    return publish(store, ctx.index, document)


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
    """`ingest_one` with the context spelled out as keywords (for scripts and tests)."""
    ctx = IngestContext.given(
        store,
        index,
        executor=executor,
        options=options,
        limits=limits,
        scratch_root=scratch_root,
        trust_anchors=trust_anchors,
    )
    return ingest_one(ctx, path, meta, progress)
