"""The pages of a batch as they stand in storage: each finished page's image, text layer and result (the
result written last and only once), with what staff decided at review applied over it."""

from __future__ import annotations

import contextlib
from pathlib import Path

from pydantic import BaseModel

from sohoa.ingest.pages import StackPageDone, analysis_of
from sohoa.records.batches import (
    Batch,
    BatchPage,
    FixAction,
    PageKind,
)
from sohoa.records.models import PageAnalysis
from sohoa.storage import keys
from sohoa.storage.base import ObjectExists, ObjectNotFound, ObjectStore


class PageResult(BaseModel):
    """What a finished page leaves in storage: its fate in the batch and, unless a cover, what was read."""

    page: BatchPage
    analysis: PageAnalysis | None = None
    engine: str = ""  # what read it ("": a cover sheet, or a page kept before pages named their engine)


def page_image_key(store: ObjectStore, batch: Batch, number: int) -> str | None:
    """Where the page's image is (as read again at review, or as first read); None for a cover sheet or a
    page not read yet."""
    key = page_files(store, batch, number)[0]
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


def keep_page(store: ObjectStore, batch_id: str, done: StackPageDone, run: str) -> None:
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
        a = analysis_of(page)  # a batch's page result keeps the words with the rest (one page at a time)
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
            engine=page.engine,
        )
    data = result.model_dump_json().encode()
    # Another worker on the same batch may have finished it first: the first result stands.
    with contextlib.suppress(ObjectExists):
        store.create_bytes(
            keys.batch_page_result(batch_id, done.number), data, content_type="application/json"
        )


def page_results(store: ObjectStore, batch: Batch) -> dict[int, PageResult]:
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


def page_files(store: ObjectStore, batch: Batch, number: int) -> tuple[str, str]:
    """The storage keys of a page's image and text layer as it stands (read again at review, or first)."""
    for k in range(len(batch.fixes), 0, -1):
        fix = batch.fixes[k - 1]
        if fix.page == number and fix.action in (FixAction.ROTATE, FixAction.NOT_BLANK):
            return keys.batch_fix(batch.id, k, "jpg"), keys.batch_fix(batch.id, k, "text.pdf")
    return keys.batch_page_image(batch.id, number), keys.batch_page_text(batch.id, number)
