"""One page's way through the pipeline crosses few package boundaries, measured on real runs: the page task
enters ocr/ once (`ocr.reading.read_page`), ingest writes a document through the archive only
(`archive.writes`), and the document names the engine that read its pages (a page read on a worker
carries its engine with it)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import Any

from PIL import Image

import sohoa
from conftest import Pair
from sohoa.ingest import IngestMeta, ingest_file
from sohoa.ingest.context import IngestContext
from sohoa.ingest.pages import PageTask, run_page
from sohoa.ingest.pipeline import Master, commit_document, place
from sohoa.ocr.pipeline import OcrOptions
from sohoa.storage import keys
from sohoa.storage.fixity import sha256_file

_ROOT = Path(sohoa.__file__).parent


def _blank_page(path: Path) -> Path:
    # A blank sheet is read without Tesseract: fast, and it still makes every write of a document.
    Image.new("RGB", (1240, 1748), "white").save(path, dpi=(300, 300))
    return path


def _calls_from_ingest_into(package: str, run: Callable[[], object]) -> list[str]:
    """The functions of `package` that code of sohoa/ingest called directly while `run` ran."""
    ingest, target = f"{_ROOT / 'ingest'}{os.sep}", f"{_ROOT / package}{os.sep}"
    seen: list[str] = []

    def profile(frame: FrameType, event: str, _arg: Any) -> None:
        caller = frame.f_back
        if (
            event == "call"
            and frame.f_code.co_filename.startswith(target)
            and caller is not None
            and caller.f_code.co_filename.startswith(ingest)
        ):
            seen.append(frame.f_code.co_name)

    sys.setprofile(profile)
    try:
        run()
    finally:
        sys.setprofile(None)
    return seen


def test_the_page_task_enters_ocr_once(tmp_path: Path) -> None:
    page = _blank_page(tmp_path / "page.png")
    task = PageTask(str(page), "image/png", 1, 300, str(tmp_path), OcrOptions())
    assert _calls_from_ingest_into("ocr", lambda: run_page(task)) == ["read_page"]


def test_ingest_writes_a_document_only_through_the_archive(pair: Pair, tmp_path: Path) -> None:
    page = _blank_page(tmp_path / "page.png")
    outcomes = []

    def ingest() -> None:
        outcomes.append(ingest_file(page, store=pair.store, index=pair.index, scratch_root=tmp_path / "s"))

    called = _calls_from_ingest_into("storage", ingest)
    # Hashing the file in hand is all ingest asks of storage's code; every write is the archive's.
    assert set(called) == {"sha256_file"}
    document = outcomes[0].document
    assert outcomes[0].created
    for key in (
        document.master_key,
        document.pages[0].image_key,
        document.pages[0].words_key,
        document.searchable_pdf_key,
        keys.document_manifest(document.id),
        keys.by_sha256(document.master_sha256),
    ):
        assert pair.store.exists(key), key


def test_a_document_names_the_engine_that_read_its_pages(pair: Pair, tmp_path: Path) -> None:
    page = _blank_page(tmp_path / "page.png")
    read = run_page(PageTask(str(page), "image/png", 1, 300, str(tmp_path), OcrOptions()))
    assert read.engine.startswith("tesseract ")
    # A page read on a worker with another Tesseract: the record says what read it, not what commits it.
    on_worker = replace(read, engine="tesseract 9.9.9-worker")
    ctx = IngestContext(pair.store, pair.index, scratch_root=tmp_path / "s")
    master = Master(page, sha256_file(page), "image/png", "png")
    outcome = commit_document(ctx, master, place(ctx, IngestMeta(name="page.png")), {1: on_worker}, tmp_path)
    assert outcome.document.ocr_engine == "tesseract 9.9.9-worker"
