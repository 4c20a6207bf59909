"""The page task a worker runs: one page of a source file read by ocr/ (one call, `ocr.reading.read_page`),
its outputs left in a scratch directory. Tasks are small and picklable so any executor can carry them; a
task also names its source's object key when the file is in storage, so a worker on another machine fetches
it from there (`ingest.remote_pages`) instead of reading a path it cannot see.

What a worker hands back is small too: the page's summary (its text, confidence, rotation...) and the
paths of what it left, the cleaned image, the text layer and the words (`records.words`). The words stay
in their file until the commit reads them one page at a time, so a long document's memory does not grow
with its page count."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sohoa.errors import CorruptFile
from sohoa.ocr.pipeline import OcrOptions, process_page
from sohoa.ocr.rasterize import load_image, page_pixels
from sohoa.ocr.reading import PageReading, read_page, read_pixels
from sohoa.records.batches import CoverSheet
from sohoa.records.models import PageAnalysis, PageSummary, Word
from sohoa.records.words import read_words, write_words
from sohoa.scanners.coversheet import read_cover


@dataclass(frozen=True, slots=True)
class PageTask:
    source: str
    media_type: str
    number: int  # 1-based page number in the source
    dpi: int
    scratch: str
    options: OcrOptions
    out_number: int | None = None  # the number it goes by (a page of a stack of files); default `number`
    source_key: str | None = None  # where `source` is kept in storage, when it is (a stack's files)

    @property
    def label(self) -> int:
        return self.out_number or self.number


@dataclass(frozen=True, slots=True)
class PageDone:
    number: int
    summary: PageSummary  # all that was read but the words, which are in `words_path`
    image_path: str
    text_pdf_path: str
    words_path: str
    stored_image: str | None = None  # the image's key when it is in storage already (a page of a batch)
    engine: str = ""  # what read it ("": not known, a page of a batch read before pages named it)
    seconds: float = 0.0  # how long reading it took where it was read (0: not known)


def summary_of(analysis: PageAnalysis) -> PageSummary:
    return PageSummary.model_validate(analysis.model_dump(exclude={"words"}))


def left_page(
    number: int,
    analysis: PageAnalysis,
    image_path: str,
    text_pdf_path: str,
    scratch: Path,
    *,
    stored_image: str | None = None,
    engine: str = "",
    seconds: float = 0.0,
) -> PageDone:
    """A page read, its words written beside its other files in `scratch` (named by `number`)."""
    words = write_words(scratch / f"{number}.words.json", analysis.words)
    return PageDone(
        number, summary_of(analysis), image_path, text_pdf_path, str(words), stored_image, engine, seconds
    )


def words_of(page: PageDone) -> list[Word]:
    return read_words(Path(page.words_path))


def analysis_of(page: PageDone) -> PageAnalysis:
    """The page as read, words and all (for a record that keeps them together: a batch's page result)."""
    return PageAnalysis(**page.summary.model_dump(), words=words_of(page))


def load_page(task: PageTask) -> tuple[np.ndarray, int]:
    """The page as pixels (BGR or grey) and its resolution."""
    return page_pixels(task.source, task.media_type, task.number, task.dpi, timeout=task.options.timeout)


def run_page(task: PageTask) -> PageDone:
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


@dataclass(frozen=True, slots=True)
class StackPageDone:
    number: int
    cover: CoverSheet | None = None  # a cover sheet is recognised, not read
    page: PageDone | None = None


def run_stack_page(task: PageTask) -> StackPageDone:
    """A page of a scanned stack: a cover sheet (by its QR code), or a page read like any other."""
    start = time.perf_counter()
    image, dpi = load_page(task)
    cover = read_cover(image)
    if cover is not None:
        return StackPageDone(task.label, cover=cover)
    reading = read_pixels(image, dpi, task.options)
    return StackPageDone(task.label, page=_kept(task, reading, time.perf_counter() - start))


def ocr_image_to_text(task: tuple[str, str, str]) -> tuple[str, str | None]:
    """`sohoa ocr`: one image in, its NFC text written out; returns (source, error message or None)."""
    source, target, lang = task
    try:
        image, dpi = load_image(Path(source))
    except CorruptFile:
        return source, "Tệp ảnh bị hỏng hoặc không phải ảnh / not a readable image"
    out = process_page(image, dpi=dpi, options=OcrOptions(lang=lang))
    Path(target).write_text(out.analysis.text + "\n", encoding="utf-8")
    return source, None
