"""What staff decide about a finished batch at review: turn a page, it is not blank, it is blank, it belongs
to another group (each followed by cutting the stack again), and giving pages that came without a cover
sheet to a dossier."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from sohoa.archive.dossiers import load_dossier
from sohoa.errors import BadInput, Conflict, Forbidden, NotFound
from sohoa.ingest.batch_cut import cut_into_documents
from sohoa.ingest.batch_groups import (
    join_dossier,
)
from sohoa.ingest.batch_pages import PageResult, page_result
from sohoa.ingest.batch_records import load_batch, load_batch_versioned
from sohoa.ingest.context import IngestContext
from sohoa.ingest.pages import analysis_of, run_page
from sohoa.ingest.stack import Stack
from sohoa.records.basics import utcnow
from sohoa.records.batches import (
    Batch,
    BatchPage,
    BatchStatus,
    FixAction,
    PageFix,
    PageKind,
)
from sohoa.search.base import SearchIndex
from sohoa.storage import keys
from sohoa.storage.base import ObjectStore
from sohoa.storage.manifests import update_manifest


def fix_page(ctx: IngestContext, batch_id: str, fix: PageFix) -> Batch:
    """Apply what staff decided about a page at review (turn it, it is not blank, it is blank, it belongs to
    another document, scan it again), then cut the stack again: only the documents it touches change."""
    store = ctx.store
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
    scratch = ctx.scratch(f"sohoa-fix-{batch_id}-")
    try:
        stack = Stack(store, batch_id, ctx.limits, scratch)
        stack.batch = batch
        stack.fetch_sources([])
        if fix.action in (FixAction.ROTATE, FixAction.NOT_BLANK):
            shown = current.analysis.rotation if current.analysis else 0
            turn = (shown + fix.turn) % 360 if fix.action is FixAction.ROTATE and fix.turn else None
            options = replace(ctx.options, rotate=turn, not_blank=True)
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
            a = analysis_of(done)
            page = BatchPage(
                number=fix.page,
                kind=PageKind.CONTENT,
                rotation=a.rotation,
                needs_review=a.needs_review,
                review_reasons=list(a.review_reasons),
                run=f"fix-{k}",
            )
            data = PageResult(page=page, analysis=a, engine=done.engine).model_dump_json().encode()
            store.put_bytes(keys.batch_fix(batch_id, k, "json"), data, content_type="application/json")
        batch.fixes.append(fix)
        return cut_into_documents(ctx, batch, stack.sources, scratch, version)
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
