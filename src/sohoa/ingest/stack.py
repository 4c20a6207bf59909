"""A scanned stack read as one batch: its files kept in storage byte for byte as they come, its pages read on
the executor (each exactly once, even across a crash), then cut into documents (`batch_cut`).

The batch survives a crash. Its record and every finished page live in storage as the batch goes
(`batches/{id}/batch.json`, and per page its image, text layer and result, the result written last and
only once). Started again on the same files (the batch id comes from their content), it reads only the
pages that have no result yet, so every page is processed exactly once, and then finishes. The documents
are keyed by their content too, so cutting the stack again after a crash stores nothing twice.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from sohoa import telemetry
from sohoa.errors import BadInput, NotFound
from sohoa.ingest.batch_cut import cut_into_documents
from sohoa.ingest.batch_groups import (
    StackSource,
    source_of,
)
from sohoa.ingest.batch_pages import finished_pages, keep_page
from sohoa.ingest.batch_records import batch_id_for, load_batch
from sohoa.ingest.context import IngestContext
from sohoa.ingest.pages import PageTask, run_stack_page
from sohoa.ingest.pipeline import Progress
from sohoa.ingest.sniff import Limits, SourceInfo, inspect
from sohoa.ocr.options import OcrOptions
from sohoa.records.basics import utcnow
from sohoa.records.batches import (
    Batch,
    BatchStatus,
)
from sohoa.storage import keys
from sohoa.storage.base import ObjectStore
from sohoa.storage.manifests import write_manifest


def run_stack(
    ctx: IngestContext,
    paths: Iterable[Path],
    *,
    batch_id: str | None = None,
    name: str = "",
    by: str = "system",
    agency: str | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> Batch:
    """Digitize a stack (one or more files, in order); start it, or finish it after an interruption.

    Without `batch_id` the files are all there: each is checked before anything is stored, and the batch id
    comes from their content, so running it again on the same files finishes the same batch. With
    `batch_id` the files may still be arriving (a scanner feeding pages): each is read as soon as it comes,
    and a batch that was interrupted goes on from the files it kept, then takes the new ones.
    """
    store, limits = ctx.store, ctx.limits
    infos: dict[Path, SourceInfo] = {}
    if batch_id is None:
        paths = [Path(p) for p in paths]
        for path in paths:
            infos[path] = inspect(path, limits)  # a refused file refuses the batch before anything is stored
        if not paths:
            raise BadInput("Lô quét không có tệp nào", "the batch has no file")
        batch_id = batch_id_for(paths)
    scratch = ctx.scratch(f"sohoa-batch-{batch_id}-")
    try:
        stack = Stack(store, batch_id, limits, scratch)
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
        options = ctx.options

        def tasks() -> Iterator[PageTask]:
            arriving = (stack.add(Path(p), infos.get(Path(p)), new) for p in paths)
            for source in itertools.chain(list(stack.sources), arriving):
                for number in range(source.first, source.first + source.info.pages):
                    if number not in finished:
                        yield stack.task(number, options)

        run = uuid.uuid4().hex[:12]
        done_count = len(finished)
        for done in ctx.executor.map_unordered(run_stack_page, tasks()):
            if done.page is not None:  # a cover sheet is recognised, not read
                telemetry.page_read(done.page.seconds)
            keep_page(store, batch_id, done, run)
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
        return cut_into_documents(ctx, stack.batch, stack.sources, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def prepare_batch(
    ctx: IngestContext,
    paths: Sequence[Path],
    *,
    name: str = "",
    by: str = "system",
    agency: str | None = None,
    labels: Sequence[str] | None = None,
) -> Batch:
    """Check every file and keep them all as a batch that has not been read yet (or find the batch these
    files already are), so a caller can answer at once and let `run_stack` read it after. A refused file
    refuses the batch, and its label (default: its name) starts the message."""
    store, limits = ctx.store, ctx.limits
    paths = [Path(p) for p in paths]
    infos = {}
    for path, label in zip(paths, labels or [p.name for p in paths], strict=True):
        try:
            infos[path] = inspect(path, limits)
        except BadInput as exc:
            raise type(exc)(f"{label}: {exc.vi}", f"{label}: {exc.en}") from exc
    if not paths:
        raise BadInput("Lô quét không có tệp nào", "the batch has no file")
    stack = Stack(store, batch_id_for(paths), limits, Path(tempfile.gettempdir()))
    try:
        return load_batch(store, stack.batch_id)
    except NotFound:
        pass
    new = Batch(id=stack.batch_id, name=name, sources=[], total_pages=0, by=by, agency=agency)
    for path in paths:
        stack.add(path, infos[path], new)
    assert stack.batch is not None
    return stack.batch


class Stack:
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
        assert self.batch is not None
        key = self.batch.sources[self.sources.index(source)]
        return PageTask(
            str(source.path), source.info.media_type, at, dpi, str(self.scratch), options, number, key
        )

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
