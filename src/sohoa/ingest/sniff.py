"""Recognise what a file is by its content, never by its name, and check it can be opened safely.

Checks run before any page work or storage, so a refused file leaves nothing behind:
empty, not an image or PDF, corrupt, password-protected, too many pixels (decompression bombs) or pages,
or too slow to read. A PDF page too large for the pixel limit at its resolution is read at the highest
resolution that fits (its record says which), and refused only when that is too coarse to read. The
parsers (qpdf through pikepdf, Pillow's decoders) run in a child process that is killed when its time is
up, so a hostile file can neither hang nor crash the process that received it.
"""

from __future__ import annotations

import math
import multiprocessing
import warnings
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

import pikepdf
from PIL import Image

from sohoa.errors import BadInput, CorruptFile, EmptyFile, TooLarge, TooSlow, UnsupportedFile
from sohoa.ocr.rasterize import open_image, open_pdf

_MAGIC = {
    b"%PDF-": ("application/pdf", "pdf"),
    b"\x89PNG\r\n\x1a\n": ("image/png", "png"),
    b"\xff\xd8\xff": ("image/jpeg", "jpg"),
    b"II*\x00": ("image/tiff", "tif"),
    b"MM\x00*": ("image/tiff", "tif"),
}
_PDF_POINTS_PER_INCH = 72


@dataclass(frozen=True, slots=True)
class SourceInfo:
    media_type: str
    extension: str
    pages: int
    # Per PDF page, the resolution to rasterize at: the scan's own, so pixels are neither invented nor lost.
    page_dpi: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Limits:
    max_pixels: int = 80_000_000  # an A3 sheet at 600 dpi is 70 MP
    max_pages: int = 2000
    dpi: int = 300
    parse_seconds: float = 20.0  # a 2000-page scan PDF is read in well under a second


def media_type_of(path: Path) -> tuple[str, str]:
    with path.open("rb") as f:
        head = f.read(1024)
    if not head:
        raise EmptyFile("Tệp rỗng", "the file is empty")
    for magic, kind in _MAGIC.items():
        # PDF readers accept a header a little way in; so do we, the rest must start at byte 0.
        if head.startswith(magic) or (magic == b"%PDF-" and magic in head):
            return kind
    raise UnsupportedFile(
        "Tệp không phải ảnh quét hay PDF (chấp nhận PDF, TIFF, PNG, JPEG)",
        "not a scan: accepted types are PDF, TIFF, PNG and JPEG",
    )


def inspect(path: Path, limits: Limits) -> SourceInfo:
    """Identify and open `path`, raising a BadInput subclass for anything sohoa refuses.

    The magic-number check runs here; the parsing runs in a child process with `limits.parse_seconds`.
    """
    media_type_of(path)  # empty and unknown files are refused without starting a process
    parent, child = _context().Pipe(duplex=False)
    worker = _context().Process(target=_inspect_in_child, args=(str(path), limits, child), daemon=True)
    worker.start()
    child.close()
    try:
        if not parent.poll(limits.parse_seconds):
            raise TooSlow(
                f"Đọc tệp quá {limits.parse_seconds:g} giây, tệp bị từ chối",
                f"reading the file took over {limits.parse_seconds:g} s; refused",
            )
        outcome = parent.recv()
    except EOFError:
        outcome = None  # the parser died (a crash in C code, or killed for memory)
    finally:
        parent.close()
        if worker.is_alive():
            worker.kill()
        worker.join()
    if isinstance(outcome, SourceInfo):
        return outcome
    if isinstance(outcome, BadInput):
        raise outcome
    raise CorruptFile("Tệp bị hỏng, không đọc được", "the file is damaged: its parser failed")


def _context() -> multiprocessing.context.BaseContext:
    # forkserver: a fresh child costs a fork of a single-threaded server that has the parsers loaded, where
    # spawn would re-import them each time; plain fork is unsafe in a threaded server. "__main__" is loaded
    # there too (multiprocessing's default), or each child would run the main script again.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["__main__", "sohoa.ingest.sniff"])
    return context


def _inspect_in_child(path: str, limits: Limits, conn: Connection) -> None:
    try:
        conn.send(_inspect(Path(path), limits))
    except BadInput as exc:
        conn.send(exc)
    finally:
        conn.close()


def _inspect(path: Path, limits: Limits) -> SourceInfo:
    media_type, extension = media_type_of(path)
    page_dpi: tuple[int, ...] = ()
    if media_type == "application/pdf":
        page_dpi = _pdf_pages(path, limits)
        pages = len(page_dpi)
    else:
        pages = _image_pages(path, limits)
    if pages == 0:
        raise EmptyFile("Tệp không có trang nào", "the file has no pages")
    if pages > limits.max_pages:
        raise TooLarge(
            f"Tệp có {pages} trang, vượt giới hạn {limits.max_pages}",
            f"{pages} pages is over the limit of {limits.max_pages}",
        )
    return SourceInfo(media_type, extension, pages, page_dpi)


def _too_many_pixels(width: float, height: float, limits: Limits) -> TooLarge:
    return TooLarge(
        f"Trang quá lớn ({int(width)}×{int(height)} điểm ảnh, giới hạn {limits.max_pixels:,})",
        f"page too large ({int(width)}×{int(height)} pixels, limit {limits.max_pixels:,})",
    )


# Scanned pages carry their resolution in the image; outside this range it is not a scan's (a thumbnail, a
# vector drawing with a tiny logo) and the configured resolution is used instead.
_SCAN_DPI_RANGE = (100, 600)


def _native_dpi(page: pikepdf.Page, width_in: float, default: int) -> int:
    """The resolution of the largest image on the page, as placed across the page's width."""
    widths = []
    for image in page.get_images().values():
        try:
            widths.append(int(image.Width))
        except (AttributeError, TypeError, ValueError):
            continue
    if not widths or width_in <= 0:
        return default
    dpi = round(max(widths) / width_in)
    return dpi if _SCAN_DPI_RANGE[0] <= dpi <= _SCAN_DPI_RANGE[1] else default


def _pdf_pages(path: Path, limits: Limits) -> tuple[int, ...]:
    """Each page's rasterization resolution, after checking the page count and size against the limits."""
    with open_pdf(path) as pdf:
        count = len(pdf.pages)
        if count > limits.max_pages:
            return (limits.dpi,) * count
        dpis = []
        for page in pdf.pages:
            box = page.mediabox
            width_in = abs(float(box[2]) - float(box[0])) / _PDF_POINTS_PER_INCH
            height_in = abs(float(box[3]) - float(box[1])) / _PDF_POINTS_PER_INCH
            dpis.append(_within_pixels(_native_dpi(page, width_in, limits.dpi), width_in, height_in, limits))
        return tuple(dpis)


# The lowest resolution a page is read at. Tesseract's FAQ: "below an x-height of 10 pixels, you have very
# little chance of accurate results, and below about 8 pixels, most of the text will be noise removed"; 13 pt
# body text (the smallest Decree 30/2020 sets) has an x-height of about 8.7 px at 100 dpi (20 px for 10 pt
# at 300 dpi, as the FAQ says). A page that only fits the pixel limit below that would be stored unread.
MIN_USEFUL_DPI = 100


def _within_pixels(dpi: int, width_in: float, height_in: float, limits: Limits) -> int:
    """`dpi`, or for a page too large at `dpi` (a map, a drawing, a poster) the highest resolution at which
    it fits the pixel limit, rendered whole (pdftoppm rounds the size up); TooLarge when even that is
    below MIN_USEFUL_DPI."""

    def pixels(d: int) -> int:
        return math.ceil(width_in * d) * math.ceil(height_in * d)

    if pixels(dpi) <= limits.max_pixels:
        return dpi
    fitted = math.isqrt(int(limits.max_pixels / (width_in * height_in)))
    while fitted >= MIN_USEFUL_DPI and pixels(fitted) > limits.max_pixels:
        fitted -= 1
    if fitted < MIN_USEFUL_DPI:
        raise TooLarge(
            f"Trang quá lớn ({width_in:.0f}×{height_in:.0f} inch): trong giới hạn {limits.max_pixels:,} điểm "
            f"ảnh chỉ dựng được dưới {MIN_USEFUL_DPI} dpi, không đủ để đọc chữ",
            f"page too large ({width_in:.0f}×{height_in:.0f} inches): within the limit of "
            f"{limits.max_pixels:,} pixels it could only be read below {MIN_USEFUL_DPI} dpi, too coarse",
        )
    return fitted


def _image_pages(path: Path, limits: Limits) -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with open_image(path) as img:
            frames = getattr(img, "n_frames", 1)
            for frame in range(min(frames, limits.max_pages + 1)):
                img.seek(frame)
                width, height = img.size
                if width * height > limits.max_pixels:
                    raise _too_many_pixels(width, height, limits)
            return frames
