"""Page tasks that travel between machines: what goes on the wire, what a worker does with it, and what the
sender makes of the answer.

A remote page task names objects, never paths. It carries the object key of its source file and the page
number (`PageTask.source_key`); the worker fetches the file from the object store (into a small cache: the
pages of one file come to the same worker many times), reads the page with the same function the local pool
runs (`pages.run_page`, `pages.run_stack_page`), writes the page image, its text layer, its words and the
rest of what it read (its summary) to the store under the run's `work/` prefix, and answers with those
keys as JSON. The sender fetches the three files into its own scratch directory, as the local pool leaves
them, so what follows (the commit) does not know where the page was read. A machine that reaches the
object store and the broker can run any task: no shared filesystem.

Bad input is an answer, not a failure (`{"error": ...}`): the sender raises it as the same error class, and
no retry is spent on a page that can never be read. What may pass (a store that does not answer) is raised
in the worker, where the task queue retries it with backoff.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sohoa import errors
from sohoa.errors import BadInput, SohoaError
from sohoa.ingest.pages import (
    PageDone,
    PageTask,
    StackPageDone,
    left_page,
    run_page,
    run_stack_page,
)
from sohoa.ocr.options import OcrOptions
from sohoa.records.batches import CoverSheet
from sohoa.records.models import PageAnalysis, PageSummary
from sohoa.storage import keys
from sohoa.storage.base import ObjectStore

# What a remote task may run, by the name of the local function it stands for.
RUNNERS: dict[str, Callable[[PageTask], PageDone | StackPageDone]] = {
    "run_page": run_page,
    "run_stack_page": run_stack_page,
}
CACHED_SOURCES = 8  # source files a worker keeps at once (a stack of files is read a few files at a time)


def task_payload(task: PageTask, source_key: str) -> dict[str, Any]:
    """The task as JSON, naming its source by object key (the sender's paths mean nothing elsewhere)."""
    fields = dataclasses.asdict(task)
    fields.update(source="", scratch="", source_key=source_key)
    return fields


def run_remote(
    store: ObjectStore, runner: str, payload: dict[str, Any], work: str, cache: Path
) -> dict[str, Any]:
    """A worker's side of one page task: fetch its source, read the page, keep the outputs under `work/`."""
    fields = dict(payload)
    options = OcrOptions(**fields.pop("options"))
    source = fetch_source(store, fields["source_key"], cache)
    scratch = Path(tempfile.mkdtemp(prefix="sohoa-page-", dir=cache.parent))
    try:
        task = PageTask(**{**fields, "source": str(source), "scratch": str(scratch), "options": options})
        try:
            done = RUNNERS[runner](task)
        except BadInput as exc:
            return {"error": {"class": type(exc).__name__, "vi": exc.vi, "en": exc.en}}
        if isinstance(done, StackPageDone):
            page = _kept(store, done.page, work) if done.page is not None else None
            cover = done.cover.model_dump(mode="json") if done.cover is not None else None
            return {"number": done.number, "cover": cover, "page": page}
        return {"number": done.number, "page": _kept(store, done, work)}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _kept(store: ObjectStore, page: PageDone, work: str) -> dict[str, Any]:
    """The page's files and summary under `work/`; the answer names them (the broker carries keys, not
    a page's words)."""
    image = keys.work_file(work, f"{page.number}.jpg")
    text = keys.work_file(work, f"{page.number}.text.pdf")
    words = keys.work_file(work, f"{page.number}.words.json")
    summary = keys.work_file(work, f"{page.number}.summary.json")
    store.put_file(image, Path(page.image_path), content_type="image/jpeg")
    store.put_file(text, Path(page.text_pdf_path), content_type="application/pdf")
    store.put_file(words, Path(page.words_path), content_type="application/json")
    store.put_bytes(summary, page.summary.model_dump_json().encode(), content_type="application/json")
    return {
        "number": page.number,
        # Not "analysis", the key of workers before words files: a sender that old fails on this answer
        # instead of taking a summary for the page as read and storing it without its words.
        "summary": summary,
        "words": words,
        "image": image,
        "text": text,
        "engine": page.engine,
        "seconds": page.seconds,
    }


def fetch_source(store: ObjectStore, key: str, cache: Path) -> Path:
    """The source file from the store, kept in `cache` for the next pages of it (objects under these keys
    are never rewritten: a stack's sources are its captured bytes, a run's uploads are its own)."""
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / (hashlib.sha256(key.encode()).hexdigest()[:32] + Path(key).suffix)
    if path.exists():
        path.touch()
        return path
    # Fetched under a name of its own and renamed: a second process of the worker fetching the same
    # file at the same time never reads half of it.
    partial = cache / f".{path.name}.{os.getpid()}"
    store.download(key, partial)
    partial.replace(path)
    kept = sorted(cache.glob("[!.]*"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in kept[CACHED_SOURCES:]:
        old.unlink(missing_ok=True)
    return path


def page_done(store: ObjectStore, answer: dict[str, Any], task: PageTask) -> PageDone | StackPageDone:
    """The sender's side of an answer: a bad page raised as its error, a read page fetched into the task's
    scratch directory (as the local pool leaves it)."""
    if "error" in answer:
        raise error_of(answer["error"])
    page = _fetched(store, answer["page"], Path(task.scratch)) if answer.get("page") else None
    if "cover" not in answer:
        assert page is not None
        return page
    cover = CoverSheet.model_validate(answer["cover"]) if answer["cover"] is not None else None
    return StackPageDone(answer["number"], cover=cover, page=page)


def _fetched(store: ObjectStore, page: dict[str, Any], scratch: Path) -> PageDone:
    number = page["number"]
    image = scratch / f"{number}.jpg"
    text = scratch / f"{number}.text.pdf"
    store.download(page["image"], image)
    store.download(page["text"], text)
    engine = page["engine"]
    seconds = float(page.get("seconds", 0.0))  # absent from the answers of workers older than the metric
    if "words" not in page:
        # A worker older than words files kept the page's words in its analysis: written out here.
        analysis = PageAnalysis.model_validate_json(store.get_bytes(page["analysis"]))
        return left_page(number, analysis, str(image), str(text), scratch, engine=engine, seconds=seconds)
    words = scratch / f"{number}.words.json"
    store.download(page["words"], words)
    summary = PageSummary.model_validate_json(store.get_bytes(page["summary"]))
    return PageDone(number, summary, str(image), str(text), str(words), engine=engine, seconds=seconds)


def error_of(error: dict[str, str]) -> SohoaError:
    """The error a worker answered, as the class it was raised as (one of sohoa.errors' bad-input kinds)."""
    cls = getattr(errors, error.get("class", ""), None)
    if not (isinstance(cls, type) and issubclass(cls, BadInput)):
        cls = BadInput
    return cls(error["vi"], error["en"])
