"""A scanned stack as one batch: its pages read on the executor, cut into documents at the cover sheets, blank
backs set aside, page counts reconciled, and the pages that need a second look listed.

The batch survives a crash. Its record and every finished page live in storage as the batch goes
(`batches/{id}/batch.json`, and per page its image, text layer and result, the result written last and
only once). Started again on the same files (the batch id comes from their content), it reads only the
pages that have no result yet, so every page is processed exactly once, and then finishes. The documents
are keyed by their content too, so cutting the stack again after a crash stores nothing twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import shutil
import tempfile
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import img2pdf
import pikepdf
from PIL import Image
from pydantic import BaseModel

from sohoa.errors import Conflict, Forbidden, NotFound
from sohoa.ingest.documents import load_document
from sohoa.ingest.dossiers import link_scanned, load_dossier
from sohoa.ingest.executor import Executor, InlineExecutor
from sohoa.ingest.lifecycle import save_document
from sohoa.ingest.pages import PageDone, PageTask, StackPageDone, run_stack_page
from sohoa.ingest.pipeline import IngestMeta, Progress, commit_document
from sohoa.ingest.sniff import Limits, SourceInfo, inspect
from sohoa.ocr.pipeline import OcrOptions
from sohoa.records.basics import utcnow
from sohoa.records.batches import (
    Batch,
    BatchPage,
    BatchStatus,
    PageKind,
    group_pages,
    review_list,
)
from sohoa.records.models import DocumentKind, DossierRef, PageAnalysis
from sohoa.search.base import SearchIndex
from sohoa.storage import keys
from sohoa.storage.base import ObjectExists, ObjectNotFound, ObjectStore
from sohoa.storage.fixity import sha256_file
from sohoa.storage.manifests import read_manifest, write_manifest


class PageResult(BaseModel):
    """What a finished page leaves in storage: its fate in the batch and, unless a cover, what was read."""

    page: BatchPage
    analysis: PageAnalysis | None = None


@dataclass(frozen=True)
class _Source:
    path: Path
    info: SourceInfo
    first: int  # stack number of its first page


def batch_id_for(paths: Sequence[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(sha256_file(path).encode())
    return digest.hexdigest()[:24]


def load_batch(store: ObjectStore, batch_id: str) -> Batch:
    try:
        return read_manifest(store, keys.batch_manifest(batch_id), Batch)
    except (ObjectNotFound, ValueError) as exc:
        raise NotFound(f"Không tìm thấy lô quét {batch_id[:40]}", f"batch {batch_id[:40]} not found") from exc


def run_batch(
    paths: Sequence[Path],
    *,
    store: ObjectStore,
    index: SearchIndex,
    name: str = "",
    by: str = "system",
    agency: str | None = None,
    executor: Executor | None = None,
    options: OcrOptions | None = None,
    limits: Limits | None = None,
    progress: Callable[[Progress], None] | None = None,
    scratch_root: Path | None = None,
) -> Batch:
    """Digitize a stack (one or more files, in order); start it, or finish it after an interruption."""
    limits = limits or Limits()
    sources, total = [], 0
    for path in paths:
        info = inspect(Path(path), limits)  # a refused file refuses the batch before anything is stored
        sources.append(_Source(Path(path), info, total + 1))
        total += info.pages
    batch_id = batch_id_for([s.path for s in sources])
    batch = _start(store, batch_id, sources, total, name or sources[0].path.name, by, agency)
    if batch.status is BatchStatus.DONE:
        return batch
    run = uuid.uuid4().hex[:12]
    executor = executor or InlineExecutor()
    options = options or OcrOptions()
    if scratch_root is not None:
        scratch_root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f"sohoa-batch-{batch_id}-", dir=scratch_root))
    try:
        finished = _finished_pages(store, batch_id)
        tasks = [
            PageTask(
                str(s.path), s.info.media_type, n, dpi, str(scratch), options, out_number=s.first + n - 1
            )
            for s in sources
            for n, dpi in enumerate(s.info.page_dpi or (limits.dpi,) * s.info.pages, 1)
            if s.first + n - 1 not in finished
        ]
        batch.pages_done = len(finished)
        for done in executor.map_unordered(run_stack_page, tasks):
            _keep_page(store, batch_id, done, run)
            batch.pages_done += 1
            batch.updated_at = utcnow()
            write_manifest(store, keys.batch_manifest(batch_id), batch)
            if progress:
                progress(Progress(batch.name, batch.pages_done, total))
        return _cut_into_documents(store, index, batch, sources, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _start(
    store: ObjectStore,
    batch_id: str,
    sources: list[_Source],
    total: int,
    name: str,
    by: str,
    agency: str | None,
) -> Batch:
    try:
        return load_batch(store, batch_id)
    except NotFound:
        pass
    source_keys = []
    for k, source in enumerate(sources, 1):
        key = keys.batch_source(batch_id, k, source.info.extension)
        if not store.exists(key):
            # The stack as captured, byte for byte: what the documents were cut from.
            store.put_file(key, source.path, content_type=source.info.media_type, locked=True)
        source_keys.append(key)
    batch = Batch(id=batch_id, name=name, sources=source_keys, total_pages=total, by=by, agency=agency)
    write_manifest(store, keys.batch_manifest(batch_id), batch)
    return batch


def _finished_pages(store: ObjectStore, batch_id: str) -> set[int]:
    found = set()
    for key in store.list(keys.batch_pages_prefix(batch_id)):
        if key.endswith(".json"):
            found.add(int(key.rsplit("/", 1)[1].removesuffix(".json")))
    return found


def _keep_page(store: ObjectStore, batch_id: str, done: StackPageDone, run: str) -> None:
    """Store a finished page; its result goes last, and only once."""
    if done.cover is not None:
        result = PageResult(
            page=BatchPage(number=done.number, kind=PageKind.COVER, cover=done.cover, run=run)
        )
    else:
        page = done.page
        assert page is not None
        store.put_file(
            keys.batch_page_image(batch_id, done.number), Path(page.image_path), content_type="image/jpeg"
        )
        store.put_file(
            keys.batch_page_text(batch_id, done.number),
            Path(page.text_pdf_path),
            content_type="application/pdf",
        )
        a = page.analysis
        result = PageResult(
            page=BatchPage(
                number=done.number,
                kind=PageKind.BLANK if a.blank else PageKind.CONTENT,
                rotation=a.rotation,
                needs_review=a.needs_review,
                review_reasons=list(a.review_reasons),
                run=run,
            ),
            analysis=a,
        )
    data = result.model_dump_json().encode()
    # Another worker on the same batch may have finished it first: the first result stands.
    with contextlib.suppress(ObjectExists):
        store.create_bytes(
            keys.batch_page_result(batch_id, done.number), data, content_type="application/json"
        )


def _page_results(store: ObjectStore, batch_id: str) -> dict[int, PageResult]:
    results = {}
    for key in store.list(keys.batch_pages_prefix(batch_id)):
        if key.endswith(".json"):
            result = PageResult.model_validate_json(store.get_bytes(key))
            results[result.page.number] = result
    return results


def _master_pdf(sources: list[_Source], numbers: list[int], out: Path) -> None:
    """The document's pages as captured, taken from the stack without decoding (PDF pages copied as they
    are; images embedded losslessly), written the same way every time so the document id is stable."""
    pdf = pikepdf.new()
    for number in numbers:
        source = next(s for s in reversed(sources) if s.first <= number)
        at = number - source.first
        if source.info.media_type == "application/pdf":
            with pikepdf.open(source.path) as src:
                pdf.pages.append(src.pages[at])
            continue
        with Image.open(source.path) as img:
            img.seek(at)
            buf = io.BytesIO()
            if source.info.media_type in ("image/png", "image/jpeg") and at == 0:
                buf.write(source.path.read_bytes())
            else:
                img.save(buf, "PNG", dpi=img.info.get("dpi", (300, 300)))
        with pikepdf.open(io.BytesIO(img2pdf.convert(buf.getvalue(), nodate=True))) as one:
            pdf.pages.append(one.pages[0])
    pdf.save(out, deterministic_id=True)


def _cut_into_documents(
    store: ObjectStore, index: SearchIndex, batch: Batch, sources: list[_Source], scratch: Path
) -> Batch:
    results = _page_results(store, batch.id)
    missing = set(range(1, batch.total_pages + 1)) - set(results)
    if missing:
        raise RuntimeError(f"batch {batch.id}: pages {sorted(missing)} have no result")
    pages = [results[n].page for n in sorted(results)]
    groups = group_pages(pages)
    for n, group in enumerate(groups):
        if not group.pages:
            continue
        folder = scratch / f"group-{n}"
        folder.mkdir()
        done = {}
        for k, number in enumerate(group.pages, 1):
            image, text = folder / f"{k}.jpg", folder / f"{k}.text.pdf"
            store.download(keys.batch_page_image(batch.id, number), image)
            store.download(keys.batch_page_text(batch.id, number), text)
            analysis = results[number].analysis
            assert analysis is not None
            done[k] = PageDone(k, analysis, str(image), str(text))
        master = folder / "master.pdf"
        _master_pdf(sources, group.pages, master)
        cover = group.cover
        meta = IngestMeta(
            name=f"{batch.name} #{n + 1}",
            owner_id=cover.owner_id if cover else None,
            dossier_code=cover.dossier_code if cover else None,
            kind=DocumentKind.COMPONENT,
            by=batch.by,
            agency=batch.agency,
        )
        outcome = commit_document(store, index, master, "application/pdf", "pdf", meta, done, folder)
        groups[n] = group.model_copy(update={"doc_id": outcome.document.id})
    batch.groups = groups
    batch.review = review_list(pages, groups)
    batch.status = BatchStatus.DONE
    batch.updated_at = utcnow()
    write_manifest(store, keys.batch_manifest(batch.id), batch)
    return batch


def assign_group(
    store: ObjectStore, index: SearchIndex, batch_id: str, group: int, dossier_code: str, *, by: str
) -> Batch:
    """Give pages that came without a cover sheet (the unassigned group) to a dossier: their document joins
    the dossier, takes its owner, and the batch no longer lists them for review."""
    batch = load_batch(store, batch_id)
    if not 0 <= group < len(batch.groups):
        raise NotFound(f"Lô quét không có nhóm {group}", f"batch {batch_id} has no group {group}")
    target = batch.groups[group]
    if not target.unassigned or target.doc_id is None:
        raise Conflict("Nhóm này đã thuộc một hồ sơ", f"group {group} already belongs to a dossier")
    dossier = load_dossier(store, dossier_code)
    if dossier.agency != batch.agency:
        raise Forbidden("Hồ sơ thuộc cơ quan khác", "the dossier belongs to another agency")
    document = load_document(store, target.doc_id)
    owner = dossier.applicant.id_number
    document.dossier = DossierRef(code=dossier.code, owner_id=owner)
    document.owner_id = document.owner_id or owner
    save_document(store, index, document)
    link_scanned(store, dossier.code, document.id, by=by)
    batch.groups[group] = target.model_copy(update={"assigned_to": dossier.code, "assigned_by": by})
    batch.review = [r for r in batch.review if not (r.group == group and r.reason == "unassigned")]
    batch.updated_at = utcnow()
    write_manifest(store, keys.batch_manifest(batch_id), batch)
    return batch
