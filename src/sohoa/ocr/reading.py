"""One page of a scan file read, in one call: what the page task of the pipeline asks of ocr/.

`read_page` takes the page's pixels from the file (`rasterize.page_pixels`), cleans and recognises them
(`pipeline.process_page`) and hands back everything the rest of the way needs as values: the cleaned page
encoded for keeping, the words, text, confidence and review flags (`PageAnalysis`), the page's invisible
text layer for the searchable PDF, and the engine that read it (a page read on another machine names that
machine's Tesseract, not the one of whoever stores the document). `read_pixels` is the same from pixels
already in hand (a page of a stack is looked at for a cover sheet before it is read).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sohoa.ocr.pipeline import OcrOptions, encode_page_image, process_page
from sohoa.ocr.rasterize import page_pixels
from sohoa.ocr.tesseract import engine_name
from sohoa.records.models import PageAnalysis


@dataclass(frozen=True, slots=True)
class PageReading:
    analysis: PageAnalysis  # words, text, confidence, rotation and skew, blank and review verdicts
    image: bytes  # the cleaned page (upright, straight, cropped), JPEG
    text_pdf: bytes  # one-page PDF holding only the invisible text layer for `image`
    engine: str  # what read it, e.g. "tesseract 5.3.0"


def read_pixels(pixels: np.ndarray, dpi: int, options: OcrOptions) -> PageReading:
    """A page already in pixels (BGR or grey) at `dpi`, read."""
    out = process_page(pixels, dpi=dpi, options=options)
    return PageReading(out.analysis, encode_page_image(out.image), out.text_pdf, engine_name())


def read_page(source: Path | str, media_type: str, number: int, dpi: int, options: OcrOptions) -> PageReading:
    """Page `number` (1-based) of the scan file `source`, read: a PDF page rendered at `dpi`, an image frame
    at the resolution the file records."""
    pixels, dpi = page_pixels(source, media_type, number, dpi, timeout=options.timeout)
    return read_pixels(pixels, dpi, options)
