"""The page task a worker runs, and what it hands back: one page of a source file read by ocr/ (one call,
`ocr.reading.read_page`), its outputs left in a scratch directory. Tasks are small and picklable so any
executor can carry them; a task also names its source's object key when the file is in storage, so a worker
on another machine fetches it from there (`ingest.remote_pages`) instead of reading a path it cannot see.

What a worker hands back is small too: the page's summary (its text, confidence, rotation...) and the
paths of what it left, the cleaned image, the text layer and the words (`records.words`). The words stay
in their file until the commit reads them one page at a time, so a long document's memory does not grow
with its page count.

The reading itself is in ingest.page_work, loaded by the processes that read pages (OpenCV, Tesseract's
wrappers, the language models): the process that hands out the tasks and commits their results only needs
this module, and `run_page` and its kind are the names it hands out."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sohoa.ocr.options import OcrOptions
from sohoa.records.batches import CoverSheet
from sohoa.records.models import PageAnalysis, PageSummary, Word
from sohoa.records.words import read_words, write_words


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


@dataclass(frozen=True, slots=True)
class StackPageDone:
    number: int
    cover: CoverSheet | None = None  # a cover sheet is recognised, not read
    page: PageDone | None = None


def run_page(task: PageTask) -> PageDone:
    """Read one page (in a page worker)."""
    from sohoa.ingest import page_work

    return page_work.read_page_task(task)


def run_stack_page(task: PageTask) -> StackPageDone:
    """A page of a scanned stack: a cover sheet (by its QR code), or a page read like any other."""
    from sohoa.ingest import page_work

    return page_work.read_stack_page(task)


def ocr_image_to_text(task: tuple[str, str, str]) -> tuple[str, str | None]:
    """`sohoa ocr`: one image in, its NFC text written out; returns (source, error message or None)."""
    from sohoa.ingest import page_work

    return page_work.image_to_text(task)
