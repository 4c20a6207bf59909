"""The reading half of a page task (ingest.pages): a page of a source file turned into pixels, read by ocr/,
and its outputs left in the task's scratch directory. Loaded by the processes that read pages, which load
it as they start (ingest.executor); the process handing out tasks never does."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np

from sohoa.errors import CorruptFile
from sohoa.ingest.pages import PageDone, PageTask, StackPageDone, left_page
from sohoa.ocr.options import OcrOptions
from sohoa.ocr.pipeline import process_page
from sohoa.ocr.rasterize import load_image, page_pixels
from sohoa.ocr.reading import PageReading, read_page, read_pixels
from sohoa.scanners.coversheet import read_cover

# Pages are spread over the cores one process each (as Tesseract runs on one thread): OpenCV's own threads
# would only fight the other page workers for them. On the real scans in two workers this saved 6% of the
# Python side's CPU time (5.5 against 5.85 s for 15 pages), with the same wall time.
cv2.setNumThreads(1)


def load_page(task: PageTask) -> tuple[np.ndarray, int]:
    """The page as pixels (BGR or grey) and its resolution."""
    return page_pixels(task.source, task.media_type, task.number, task.dpi, timeout=task.options.timeout)


def read_page_task(task: PageTask) -> PageDone:
    start = time.perf_counter()
    reading = read_page(task.source, task.media_type, task.number, task.dpi, task.options)
    return _kept(task, reading, time.perf_counter() - start)


def _kept(task: PageTask, reading: PageReading, seconds: float) -> PageDone:
    """The reading's files left in the task's scratch directory: what a worker hands back is small."""
    scratch = Path(task.scratch)
    image_path = scratch / f"{task.label}.jpg"
    image_path.write_bytes(reading.image)
    text_pdf_path = scratch / f"{task.label}.text.pdf"
    text_pdf_path.write_bytes(reading.text_pdf)
    return left_page(
        task.label,
        reading.analysis,
        str(image_path),
        str(text_pdf_path),
        scratch,
        engine=reading.engine,
        seconds=seconds,
    )


def read_stack_page(task: PageTask) -> StackPageDone:
    """A page of a scanned stack: a cover sheet (by its QR code), or a page read like any other."""
    start = time.perf_counter()
    image, dpi = load_page(task)
    cover = read_cover(image)
    if cover is not None:
        return StackPageDone(task.label, cover=cover)
    reading = read_pixels(image, dpi, task.options)
    return StackPageDone(task.label, page=_kept(task, reading, time.perf_counter() - start))


def image_to_text(task: tuple[str, str, str]) -> tuple[str, str | None]:
    """`sohoa ocr`: one image in, its NFC text written out; returns (source, error message or None)."""
    source, target, lang = task
    try:
        image, dpi = load_image(Path(source))
    except CorruptFile:
        return source, "Tệp ảnh bị hỏng hoặc không phải ảnh / not a readable image"
    out = process_page(image, dpi=dpi, options=OcrOptions(lang=lang))
    Path(target).write_text(out.analysis.text + "\n", encoding="utf-8")
    return source, None
