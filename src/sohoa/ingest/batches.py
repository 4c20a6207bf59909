"""A scanned stack as one batch: its pages read on the executor, cut into documents at the cover sheets, blank
backs set aside, page counts reconciled, and the pages that need a second look listed.

The batch's public face, by concern: its record (`batch_records`), its pages as they stand (`batch_pages`),
reading the stack (`stack`), cutting it into documents (`batch_cut`) and staff's review (`batch_review`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from asn1crypto import x509

from sohoa.ingest.batch_pages import PageResult, finished_pages, page_image_key, page_result
from sohoa.ingest.batch_records import (
    batch_id_for,
    list_batches,
    load_batch,
    load_batch_versioned,
    mark_failed,
)
from sohoa.ingest.batch_review import assign_group, fix_page
from sohoa.ingest.context import IngestContext
from sohoa.ingest.executor import Executor
from sohoa.ingest.pipeline import Progress
from sohoa.ingest.sniff import Limits
from sohoa.ingest.stack import prepare_batch, run_stack
from sohoa.ocr.options import OcrOptions
from sohoa.records.batches import Batch
from sohoa.search.base import SearchIndex
from sohoa.storage.base import ObjectStore

__all__ = [
    "PageResult",
    "assign_group",
    "batch_id_for",
    "finished_pages",
    "fix_page",
    "list_batches",
    "load_batch",
    "load_batch_versioned",
    "mark_failed",
    "page_image_key",
    "page_result",
    "prepare_batch",
    "run_batch",
    "run_stack",
]


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
    """`run_stack` with the context spelled out as keywords (for scripts and tests)."""
    ctx = IngestContext.given(
        store,
        index,
        executor=executor,
        options=options,
        limits=limits,
        scratch_root=scratch_root,
        trust_anchors=trust_anchors,
    )
    return run_stack(ctx, paths, batch_id=batch_id, name=name, by=by, agency=agency, progress=progress)
