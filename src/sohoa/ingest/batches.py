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
import itertools
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from asn1crypto import x509
from pydantic import BaseModel

from sohoa.archive.documents import load_document
from sohoa.archive.dossiers import load_dossier
from sohoa.archive.lifecycle import revoke
from sohoa.errors import BadInput, Conflict, Forbidden, NotFound
from sohoa.ingest.batch_groups import (
    StackSource,
    check_signatures,
    commit_group,
    join_dossier,
    signature_review,
    source_of,
)
from sohoa.ingest.executor import Executor, InlineExecutor
from sohoa.ingest.pages import PageDone, PageTask, StackPageDone, run_page, run_stack_page
from sohoa.ingest.pipeline import Progress, reread_document
from sohoa.ingest.sniff import Limits, SourceInfo, inspect
from sohoa.ocr.pipeline import OcrOptions
from sohoa.records.basics import utcnow
from sohoa.records.batches import (
    Batch,
    BatchGroup,
    BatchPage,
    BatchStatus,
    FixAction,
    PageFix,
    PageKind,
    group_pages,
    review_list,
)
from sohoa.records.models import PageAnalysis
from sohoa.search.base import SearchIndex
from sohoa.storage import keys
from sohoa.storage.base import ObjectExists, ObjectNotFound, ObjectStore
from sohoa.storage.fixity import sha256_file
from sohoa.storage.manifests import read_manifest, read_manifest_versioned, update_manifest, write_manifest


class PageResult(BaseModel):
    """What a finished page leaves in storage: its fate in the batch and, unless a cover, what was read."""

    page: BatchPage
    analysis: PageAnalysis | None = None


def batch_id_for(paths: Sequence[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(sha256_file(path).encode())
    return digest.hexdigest()[:24]


def load_batch(store: ObjectStore, batch_id: str) -> Batch:
    return load_batch_versioned(store, batch_id)[0]


def load_batch_versioned(store: ObjectStore, batch_id: str) -> tuple[Batch, str]:
    """The batch record and the version read, for a change written back only over it."""
    try:
        return read_manifest_versioned(store, keys.batch_manifest(batch_id), Batch)
    except (ObjectNotFound, ValueError) as exc:
        raise NotFound(f"Không tìm thấy lô quét {batch_id[:40]}", f"batch {batch_id[:40]} not found") from exc


def run_batch(
    paths: Iterable[Path],
    *,
    store: ObjectStore,
    index: SearchIndex,
    batch_id: str | None = None,
    name: str = "",
    by: str = "system",
    agency: str | None = None,
    executor: Executor | None = None,
    options: OcrOptions | None = None,
    limits: Limits | None = None,
    progress: Callable[[Progress], None] | None = None,
    scratch_root: Path | None = None,
    trust_anchors: Sequence[x509.Certificate] = (),
) -> Batch:
    """Digitize a stack (one or more files, in order); start it, or finish it after an interruption.

    Without `batch_id` the files are all there: each is checked before anything is stored, and the batch id
    comes from their content, so running it again on the same files finishes the same batch. With
    `batch_id` the files may still be arriving (a scanner feeding pages): each is read as soon as it comes,
    and a batch that was interrupted goes on from the files it kept, then takes the new ones.
    """
    limits = limits or Limits()
    infos: dict[Path, SourceInfo] = {}
    if batch_id is None:
        paths = [Path(p) for p in paths]
        for path in paths:
            infos[path] = inspect(path, limits)  # a refused file refuses the batch before anything is stored
        if not paths:
            raise BadInput("Lô quét không có tệp nào", "the batch has no file")
        batch_id = batch_id_for(paths)
    if scratch_root is not None:
        scratch_root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f"sohoa-batch-{batch_id}-", dir=scratch_root))
    try:
        stack = _Stack(store, batch_id, limits, scratch)
        kept = stack.resume(list(infos))
        if kept is not None and kept.status is BatchStatus.DONE:
            return kept
        new = Batch(id=batch_id, name=name, sources=[], total_pages=0, by=by, agency=agency)
        if infos:
            # All the files are here: keep them all before reading any, so the record knows the whole stack.
            for path in list(infos)[len(stack.sources) :]:
                stack.add(path, infos[path], new)
            paths = []
        finished = finished_pages(store, batch_id)
        options = options or OcrOptions()

        def tasks() -> Iterator[PageTask]:
            arriving = (stack.add(Path(p), infos.get(Path(p)), new) for p in paths)
            for source in itertools.chain(list(stack.sources), arriving):
                for number in range(source.first, source.first + source.info.pages):
                    if number not in finished:
                        yield stack.task(number, options)

        run = uuid.uuid4().hex[:12]
        done_count = len(finished)
        for done in (executor or InlineExecutor()).map_unordered(run_stack_page, tasks()):
            _keep_page(store, batch_id, done, run)
            done_count += 1
            batch = stack.batch
            assert batch is not None
            batch.pages_done = done_count
            batch.updated_at = utcnow()
            write_manifest(store, keys.batch_manifest(batch_id), batch)
            if progress:
                progress(Progress(batch.name, batch.pages_done, batch.total_pages))
        if stack.batch is None:
            raise BadInput("Lô quét không có trang nào", "the batch has no page")
        return _cut_into_documents(store, index, stack.batch, stack.sources, scratch, trust_anchors)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def prepare_batch(
    paths: Sequence[Path],
    *,
    store: ObjectStore,
    name: str = "",
    by: str = "system",
    agency: str | None = None,
    limits: Limits | None = None,
    labels: Sequence[str] | None = None,
) -> Batch:
    """Check every file and keep them all as a batch that has not been read yet (or find the batch these
    files already are), so a caller can answer at once and let `run_batch` read it after. A refused file
    refuses the batch, and its label (default: its name) starts the message."""
    limits = limits or Limits()
    paths = [Path(p) for p in paths]
    infos = {}
    for path, label in zip(paths, labels or [p.name for p in paths], strict=True):
        try:
            infos[path] = inspect(path, limits)
        except BadInput as exc:
            raise type(exc)(f"{label}: {exc.vi}", f"{label}: {exc.en}") from exc
    if not paths:
        raise BadInput("Lô quét không có tệp nào", "the batch has no file")
    stack = _Stack(store, batch_id_for(paths), limits, Path(tempfile.gettempdir()))
    try:
        return load_batch(store, stack.batch_id)
    except NotFound:
        pass
    new = Batch(id=stack.batch_id, name=name, sources=[], total_pages=0, by=by, agency=agency)
    for path in paths:
        stack.add(path, infos[path], new)
    assert stack.batch is not None
    return stack.batch


class _Stack:
    """The files of a batch as they come: each is kept in storage, byte for byte, before its pages are read,
    and the batch record grows with it."""

    def __init__(self, store: ObjectStore, batch_id: str, limits: Limits, scratch: Path) -> None:
        self.store, self.batch_id, self.limits, self.scratch = store, batch_id, limits, scratch
        self.sources: list[StackSource] = []
        self.batch: Batch | None = None

    def resume(self, local: list[Path]) -> Batch | None:
        """The batch as an earlier run left it, None if it is new."""
        try:
            self.batch = load_batch(self.store, self.batch_id)
        except NotFound:
            return None
        if self.batch.status is not BatchStatus.DONE:
            self.batch.status, self.batch.error = BatchStatus.RUNNING, None  # going on after a failure
            self.fetch_sources(local)
        return self.batch

    def fetch_sources(self, local: list[Path]) -> None:
        """The batch's files, fetched back from storage unless they are here (`local`: the same content,
        since it named the batch)."""
        assert self.batch is not None
        total = 0
        for k, key in enumerate(self.batch.sources, 1):
            if k <= len(local):
                path = local[k - 1]
            else:
                path = self.scratch / f"source-{k}.{key.rsplit('.', 1)[1]}"
                self.store.download(key, path)
            info = inspect(path, self.limits)
            self.sources.append(StackSource(path, info, total + 1))
            total += info.pages
        self.batch.total_pages = total

    def task(self, number: int, options: OcrOptions) -> PageTask:
        """The task that reads page `number` of the stack."""
        source = source_of(self.sources, number)
        at = number - source.first + 1
        dpi = source.info.page_dpi[at - 1] if source.info.page_dpi else self.limits.dpi
        return PageTask(str(source.path), source.info.media_type, at, dpi, str(self.scratch), options, number)

    def add(self, path: Path, info: SourceInfo | None, new: Batch) -> StackSource:
        info = info or inspect(path, self.limits)
        batch = self.batch or new.model_copy(update={"name": new.name or path.name})
        source = StackSource(path, info, batch.total_pages + 1)
        key = keys.batch_source(self.batch_id, len(self.sources) + 1, info.extension)
        if not self.store.exists(key):
            # The stack as captured, byte for byte: what the documents were cut from.
            self.store.put_file(key, path, content_type=info.media_type, locked=True)
        batch.sources.append(key)
        batch.total_pages += info.pages
        batch.updated_at = utcnow()
        write_manifest(self.store, keys.batch_manifest(self.batch_id), batch)
        self.sources.append(source)
        self.batch = batch
        return source


def list_batches(store: ObjectStore) -> list[Batch]:
    """Every batch record in storage."""
    found = []
    for key in store.list(keys.BATCHES_PREFIX):
        if key.endswith("/batch.json"):
            with contextlib.suppress(ObjectNotFound, ValueError):
                found.append(read_manifest(store, key, Batch))
    return found


def mark_failed(store: ObjectStore, batch_id: str, error: str) -> None:
    """A batch that stopped on an error says so (and why); what it read is kept, and running it again on
    the same files goes on from there."""

    def change(batch: Batch) -> Batch:
        batch.status, batch.error, batch.updated_at = BatchStatus.FAILED, error[:500], utcnow()
        return batch

    with contextlib.suppress(ObjectNotFound, ValueError):  # refused before anything was stored
        update_manifest(store, keys.batch_manifest(batch_id), Batch, change)


def page_image_key(store: ObjectStore, batch: Batch, number: int) -> str | None:
    """Where the page's image is (as read again at review, or as first read); None for a cover sheet or a
    page not read yet."""
    key = _page_files(store, batch, number)[0]
    return key if store.exists(key) else None


def page_result(store: ObjectStore, batch: Batch, number: int) -> PageResult | None:
    """A page as it stands (with staff's fixes); None while it is not read."""
    try:
        result = PageResult.model_validate_json(store.get_bytes(keys.batch_page_result(batch.id, number)))
    except ObjectNotFound:
        return None
    for k, fix in enumerate(batch.fixes, 1):
        if fix.page == number:
            result = _with_fix(store, batch, k, result)
    return result


def finished_pages(store: ObjectStore, batch_id: str) -> set[int]:
    """The numbers of the pages that have their result (read, once)."""
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


def _page_results(store: ObjectStore, batch: Batch) -> dict[int, PageResult]:
    """Each page as it stands: as first read, then with what staff decided at review, in order."""
    results = {}
    for key in store.list(keys.batch_pages_prefix(batch.id)):
        if key.endswith(".json"):
            result = PageResult.model_validate_json(store.get_bytes(key))
            results[result.page.number] = result
    for k, fix in enumerate(batch.fixes, 1):
        results[fix.page] = _with_fix(store, batch, k, results[fix.page])
    return results


def _with_fix(store: ObjectStore, batch: Batch, k: int, result: PageResult) -> PageResult:
    """A page's result after the batch's fix number `k` (which is about this page)."""
    fix = batch.fixes[k - 1]
    if fix.action in (FixAction.ROTATE, FixAction.NOT_BLANK):
        return PageResult.model_validate_json(store.get_bytes(keys.batch_fix(batch.id, k, "json")))
    if fix.action is FixAction.BLANK:
        return result.model_copy(update={"page": result.page.model_copy(update={"kind": PageKind.BLANK})})
    return result


def _page_files(store: ObjectStore, batch: Batch, number: int) -> tuple[str, str]:
    """The storage keys of a page's image and text layer as it stands (read again at review, or first)."""
    for k in range(len(batch.fixes), 0, -1):
        fix = batch.fixes[k - 1]
        if fix.page == number and fix.action in (FixAction.ROTATE, FixAction.NOT_BLANK):
            return keys.batch_fix(batch.id, k, "jpg"), keys.batch_fix(batch.id, k, "text.pdf")
    return keys.batch_page_image(batch.id, number), keys.batch_page_text(batch.id, number)


def _cut_into_documents(
    store: ObjectStore,
    index: SearchIndex,
    batch: Batch,
    sources: list[StackSource],
    scratch: Path,
    trust_anchors: Sequence[x509.Certificate],
    if_version: str | None = None,
) -> Batch:
    """Cut the stack into documents, or cut it again after a fix at review: a group whose pages did not
    change keeps its document; a group whose pages changed gets a new one, and the one it replaces is
    withdrawn (revoked, saying by which), never deleted. A group whose cover sheet was refused makes none."""
    results = _page_results(store, batch)
    missing = set(range(1, batch.total_pages + 1)) - set(results)
    if missing:
        raise RuntimeError(f"batch {batch.id}: pages {sorted(missing)} have no result")
    pages = [results[n].page for n in sorted(results)]
    moves = {f.page: f.group for f in batch.fixes if f.action is FixAction.MOVE and f.group is not None}
    groups = group_pages(pages, moves)
    before = batch.groups if len(batch.groups) == len(groups) else [BatchGroup() for _ in groups]
    seen = len(batch.fixes)
    signed = check_signatures(sources, trust_anchors)
    for n, group in enumerate(groups):
        old = before[n]
        group = group.model_copy(
            update={"assigned_to": old.assigned_to, "assigned_by": old.assigned_by, "fixes_seen": seen}
        )
        groups[n] = group
        if not group.pages or (group.cover is not None and group.cover.refused):
            continue
        turned = {f.page for f in batch.fixes[old.fixes_seen :] if f.action is FixAction.ROTATE}
        if old.doc_id and old.pages == group.pages and not turned & set(group.pages):
            groups[n] = group.model_copy(update={"doc_id": old.doc_id})
            continue
        folder = scratch / f"group-{n}-{len(batch.fixes)}"
        folder.mkdir()
        done = {}
        for k, number in enumerate(group.pages, 1):
            image, text = folder / f"{k}.jpg", folder / f"{k}.text.pdf"
            image_key, text_key = _page_files(store, batch, number)
            store.download(image_key, image)
            store.download(text_key, text)
            analysis = results[number].analysis
            assert analysis is not None
            done[k] = PageDone(k, analysis, str(image), str(text))
        if old.doc_id and old.pages == group.pages:
            # The same pages, one turned the right way: the same master, its derivatives rebuilt.
            reread_document(store, index, load_document(store, old.doc_id), done, folder)
            groups[n] = group.model_copy(update={"doc_id": old.doc_id})
            continue
        outcome = commit_group(store, index, batch, n, group, done, sources, signed, folder)
        document = outcome.document
        if not outcome.created and seen:
            # These pages made a document before (a fix undone): it takes the pages as they stand now.
            document = reread_document(store, index, document, done, folder)
        groups[n] = group.model_copy(update={"doc_id": document.id})
        if group.assigned_to:
            dossier = load_dossier(store, group.assigned_to)
            join_dossier(store, index, document.id, dossier, by=group.assigned_by or batch.by)
        if old.doc_id and old.doc_id != document.id:
            reason = (
                f"Thay bằng tài liệu {document.id} khi soát lô quét {batch.id} / replaced at batch review"
            )
            with contextlib.suppress(Conflict):
                revoke(store, index, old.doc_id, reason, by=batch.fixes[-1].by if batch.fixes else batch.by)
    batch.groups = groups
    batch.review = review_list(pages, groups, batch.fixes) + signature_review(groups, sources, signed)
    batch.status = BatchStatus.DONE
    batch.updated_at = utcnow()
    # A review fix is written only over the record it started from: another fix or assignment since is
    # not overwritten (409; staff reload the batch and see it).
    write_manifest(store, keys.batch_manifest(batch.id), batch, if_version=if_version)
    return batch


def fix_page(
    store: ObjectStore,
    index: SearchIndex,
    batch_id: str,
    fix: PageFix,
    *,
    options: OcrOptions | None = None,
    limits: Limits | None = None,
    scratch_root: Path | None = None,
    trust_anchors: Sequence[x509.Certificate] = (),
) -> Batch:
    """Apply what staff decided about a page at review (turn it, it is not blank, it is blank, it belongs to
    another document, scan it again), then cut the stack again: only the documents it touches change."""
    batch, version = load_batch_versioned(store, batch_id)
    if batch.status is not BatchStatus.DONE:
        raise Conflict("Lô quét đang chạy, chưa sửa được", "the batch is still running; fix it when done")
    if not 1 <= fix.page <= batch.total_pages:
        raise NotFound(f"Lô quét không có trang {fix.page}", f"batch {batch_id} has no page {fix.page}")
    current = page_result(store, batch, fix.page)
    assert current is not None  # a finished batch has every page's result
    kind = current.page.kind
    if kind is PageKind.COVER:
        raise Conflict(f"Trang {fix.page} là tờ bìa", f"page {fix.page} is a cover sheet")
    _check_fix(fix, kind, len(batch.groups))
    if scratch_root is not None:
        scratch_root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f"sohoa-fix-{batch_id}-", dir=scratch_root))
    try:
        stack = _Stack(store, batch_id, limits or Limits(), scratch)
        stack.batch = batch
        stack.fetch_sources([])
        if fix.action in (FixAction.ROTATE, FixAction.NOT_BLANK):
            shown = current.analysis.rotation if current.analysis else 0
            turn = (shown + fix.turn) % 360 if fix.action is FixAction.ROTATE and fix.turn else None
            options = replace(options or OcrOptions(), rotate=turn, not_blank=True)
            done = run_page(stack.task(fix.page, options))
            k = len(batch.fixes) + 1
            store.put_file(
                keys.batch_fix(batch_id, k, "jpg"), Path(done.image_path), content_type="image/jpeg"
            )
            store.put_file(
                keys.batch_fix(batch_id, k, "text.pdf"),
                Path(done.text_pdf_path),
                content_type="application/pdf",
            )
            a = done.analysis
            page = BatchPage(
                number=fix.page,
                kind=PageKind.CONTENT,
                rotation=a.rotation,
                needs_review=a.needs_review,
                review_reasons=list(a.review_reasons),
                run=f"fix-{k}",
            )
            data = PageResult(page=page, analysis=a).model_dump_json().encode()
            store.put_bytes(keys.batch_fix(batch_id, k, "json"), data, content_type="application/json")
        batch.fixes.append(fix)
        return _cut_into_documents(store, index, batch, stack.sources, scratch, trust_anchors, version)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _check_fix(fix: PageFix, kind: PageKind, groups: int) -> None:
    if fix.action is FixAction.ROTATE and fix.turn not in (90, 180, 270):
        raise BadInput("Chỉ xoay được 90, 180 hoặc 270 độ", "turn must be 90, 180 or 270 degrees")
    if fix.action is FixAction.ROTATE and kind is PageKind.BLANK:
        raise Conflict("Trang trắng: hãy đánh dấu không trắng trước", "a blank page: mark it not blank first")
    if fix.action is FixAction.NOT_BLANK and kind is not PageKind.BLANK:
        raise Conflict(f"Trang {fix.page} không phải trang trắng", f"page {fix.page} is not blank")
    if fix.action is FixAction.BLANK and kind is PageKind.BLANK:
        raise Conflict(f"Trang {fix.page} đã là trang trắng", f"page {fix.page} is already blank")
    if fix.action is FixAction.MOVE and (fix.group is None or not 0 <= fix.group < groups):
        raise NotFound(f"Lô quét không có nhóm {fix.group}", f"the batch has no group {fix.group}")


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
    join_dossier(store, index, target.doc_id, dossier, by=by)

    def change(stored: Batch) -> Batch:
        # The group as it is now: a fix since may have cut it anew, another officer may have assigned it.
        now = stored.groups[group] if group < len(stored.groups) else None
        if now is None or now.doc_id != target.doc_id or now.assigned_to not in (None, dossier.code):
            raise Conflict(
                "Lô quét vừa được sửa, hãy tải lại", f"batch {batch_id} changed meanwhile; reload it"
            )
        stored.groups[group] = now.model_copy(update={"assigned_to": dossier.code, "assigned_by": by})
        stored.review = [r for r in stored.review if not (r.group == group and r.reason == "unassigned")]
        stored.updated_at = utcnow()
        return stored

    return update_manifest(store, keys.batch_manifest(batch_id), Batch, change)[0]
