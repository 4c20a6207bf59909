"""The page task a worker runs: load one page of a source file, send it through ocr/, leave the outputs in
a scratch directory. Tasks are small and picklable so any executor can carry them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from pdf2image import convert_from_path
from pdf2image.exceptions import PDFPageCountError, PDFPopplerTimeoutError, PDFSyntaxError

from sohoa.errors import CorruptFile, TooSlow
from sohoa.ingest.scanpdf import scanned_image
from sohoa.ocr.pipeline import OcrOptions, encode_page_image, load_image, process_page
from sohoa.records.batches import CoverSheet
from sohoa.records.models import PageAnalysis
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

    @property
    def label(self) -> int:
        return self.out_number or self.number


@dataclass(frozen=True, slots=True)
class PageDone:
    number: int
    analysis: PageAnalysis
    image_path: str
    text_pdf_path: str
    stored_image: str | None = None  # the image's key when it is in storage already (a page of a batch)


def load_page(task: PageTask) -> tuple[np.ndarray, int]:
    """The page as pixels (BGR or grey) and its resolution."""
    if task.media_type == "application/pdf":
        scan = scanned_image(task.source, task.number, task.dpi)
        if scan is not None:
            return scan, task.dpi
        try:
            # One page at a time: a 300-page PDF is never rasterized whole into memory.
            images = convert_from_path(
                task.source,
                dpi=task.dpi,
                first_page=task.number,
                last_page=task.number,
                timeout=task.options.timeout,
            )
        except PDFPopplerTimeoutError as exc:
            raise TooSlow(
                "Dựng ảnh trang PDF quá thời gian cho phép",
                f"rasterizing PDF page {task.number} took over {task.options.timeout:g} s",
            ) from exc
        except (PDFPageCountError, PDFSyntaxError) as exc:
            raise CorruptFile("Không đọc được trang PDF", f"cannot rasterize PDF page {task.number}") from exc
        if not images:
            raise CorruptFile("Không đọc được trang PDF", f"cannot rasterize PDF page {task.number}")
        rgb = np.asarray(images[0].convert("RGB"))
        return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), task.dpi
    try:
        return load_image(Path(task.source), frame=task.number - 1)
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise CorruptFile(
            "Tệp ảnh bị hỏng, không đọc được", "the image is damaged and cannot be read"
        ) from exc


def run_page(task: PageTask) -> PageDone:
    image, dpi = load_page(task)
    return _read_page(task, image, dpi)


def _read_page(task: PageTask, image: np.ndarray, dpi: int) -> PageDone:
    out = process_page(image, dpi=dpi, options=task.options)
    scratch = Path(task.scratch)
    image_path = scratch / f"{task.label}.jpg"
    image_path.write_bytes(encode_page_image(out.image))
    text_pdf_path = scratch / f"{task.label}.text.pdf"
    text_pdf_path.write_bytes(out.text_pdf)
    return PageDone(task.label, out.analysis, str(image_path), str(text_pdf_path))


@dataclass(frozen=True, slots=True)
class StackPageDone:
    number: int
    cover: CoverSheet | None = None  # a cover sheet is recognised, not read
    page: PageDone | None = None


def run_stack_page(task: PageTask) -> StackPageDone:
    """A page of a scanned stack: a cover sheet (by its QR code), or a page read like any other."""
    image, dpi = load_page(task)
    cover = read_cover(image)
    if cover is not None:
        return StackPageDone(task.label, cover=cover)
    return StackPageDone(task.label, page=_read_page(task, image, dpi))


def ocr_image_to_text(task: tuple[str, str, str]) -> tuple[str, str | None]:
    """`sohoa ocr`: one image in, its NFC text written out; returns (source, error message or None)."""
    source, target, lang = task
    try:
        image, dpi = load_image(Path(source))
    except (OSError, ValueError, SyntaxError, EOFError):
        return source, "Tệp ảnh bị hỏng hoặc không phải ảnh / not a readable image"
    out = process_page(image, dpi=dpi, options=OcrOptions(lang=lang))
    Path(target).write_text(out.analysis.text + "\n", encoding="utf-8")
    return source, None
