"""Cutting a read stack into documents at its cover sheets, or cutting it again after a fix at review: a group
whose pages did not change keeps its document; one whose pages changed gets a new one, and the one it
replaces is withdrawn (revoked), never deleted. Each group is committed as single-file ingest commits a file
(`batch_groups.commit_group`)."""

from __future__ import annotations

import contextlib
from pathlib import Path

from sohoa.archive.documents import load_document
from sohoa.archive.dossiers import load_dossier
from sohoa.archive.lifecycle import revoke
from sohoa.errors import Conflict
from sohoa.ingest.batch_groups import (
    StackSource,
    check_signatures,
    commit_group,
    join_dossier,
    signature_review,
)
from sohoa.ingest.batch_pages import page_files, page_results
from sohoa.ingest.context import IngestContext
from sohoa.ingest.derivatives import reread_document
from sohoa.ingest.pages import left_page
from sohoa.records.basics import utcnow
from sohoa.records.batches import (
    Batch,
    BatchGroup,
    BatchStatus,
    FixAction,
    group_pages,
    review_list,
)
from sohoa.storage import keys
from sohoa.storage.manifests import write_manifest


def cut_into_documents(
    ctx: IngestContext,
    batch: Batch,
    sources: list[StackSource],
    scratch: Path,
    if_version: str | None = None,
) -> Batch:
    """Cut the stack into documents, or cut it again after a fix at review: a group whose pages did not
    change keeps its document; a group whose pages changed gets a new one, and the one it replaces is
    withdrawn (revoked, saying by which), never deleted. A group whose cover sheet was refused makes none."""
    store, index = ctx.store, ctx.index
    results = page_results(store, batch)
    missing = set(range(1, batch.total_pages + 1)) - set(results)
    if missing:
        raise RuntimeError(f"batch {batch.id}: pages {sorted(missing)} have no result")
    pages = [results[n].page for n in sorted(results)]
    moves = {f.page: f.group for f in batch.fixes if f.action is FixAction.MOVE and f.group is not None}
    groups = group_pages(pages, moves)
    before = batch.groups if len(batch.groups) == len(groups) else [BatchGroup() for _ in groups]
    seen = len(batch.fixes)
    signed = check_signatures(ctx, sources)
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
            image_key, text_key = page_files(store, batch, number)
            store.download(image_key, image)
            store.download(text_key, text)
            result = results[number]
            assert result.analysis is not None
            done[k] = left_page(
                k,
                result.analysis,
                str(image),
                str(text),
                folder,
                stored_image=image_key,
                engine=result.engine,
            )
        if old.doc_id and old.pages == group.pages:
            # The same pages, one turned the right way: the same master, its derivatives rebuilt.
            reread_document(store, index, load_document(store, old.doc_id), done, folder)
            groups[n] = group.model_copy(update={"doc_id": old.doc_id})
            continue
        outcome = commit_group(ctx, batch, n, group, done, sources, signed, folder)
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
