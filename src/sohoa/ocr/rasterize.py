"""A page of a scan file as pixels, in one place, as ocr.tesseract wraps Tesseract and scanners.sane wraps
scanimage: pdftoppm (poppler, through pdf2image) renders a PDF page; a scanner's PDF page that is just one
image over the whole page is taken as stored (pikepdf; a JPEG there decoded by OpenCV), which is faster and
resamples nothing; image files (PNG, JPEG, TIFF frames) are read by Pillow. (Rendering a scanner's page with
pdftoppm cost half a second a page here, and resampled a JPEG that needed no resampling; anything else on the
page, such as text, a vector drawing, a second image, a mask, a turn by /Rotate or an image not at the page's
resolution, and the page is rendered.)

The errors of poppler, pikepdf and Pillow are translated here once: a damaged file is CorruptFile, a
password-protected PDF EncryptedFile, a decompression bomb TooLarge, a render past its time TooSlow, a
machine without poppler ServiceUnavailable. `open_pdf` and `open_image` give the same translation to the
checks that open a file before any page work (ingest.sniff).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pikepdf
from pdf2image import convert_from_path
from pdf2image.exceptions import (
    PDFInfoNotInstalledError,
    PDFPageCountError,
    PDFPopplerTimeoutError,
    PDFSyntaxError,
)
from PIL import Image, UnidentifiedImageError

from sohoa.errors import CorruptFile, EncryptedFile, ServiceUnavailable, SohoaError, TooLarge, TooSlow

_DEFAULT_DPI = 300
_DAMAGED_IMAGE = ("Tệp ảnh bị hỏng, không đọc được", "the image is damaged and cannot be read")
# A scanner's page: only these operators, one image, drawn once (see scanned_image).
_PLAIN_OPERATORS = {"q", "Q", "cm", "Do"}
_FIT = 0.02  # how far, as a share of the page, the image may sit from covering it exactly
_MODES = {"L", "RGB", "1"}


def _covers(matrix: list[float], box: list[float]) -> bool:
    a, b, c, d, e, f = matrix
    x0, y0, x1, y1 = box
    width, height = x1 - x0, y1 - y0
    return (
        b == 0
        and c == 0
        and abs(a - width) <= _FIT * width
        and abs(d - height) <= _FIT * height
        and abs(e - x0) <= _FIT * width
        and abs(f - y0) <= _FIT * height
    )


def scanned_image(path: str, number: int, dpi: int) -> np.ndarray | None:
    """Page `number`'s only image as BGR or grey pixels, when the page is just that image, upright, covering
    the page at `dpi`; None when the page must be rendered."""
    try:
        with pikepdf.open(path) as pdf:
            page = pdf.pages[number - 1]
            if int(page.obj.get("/Rotate", 0)) % 360:
                return None
            images = page.get_images()
            instructions = pikepdf.parse_content_stream(page)
            operators = [str(i.operator) for i in instructions]
            if len(images) != 1 or set(operators) - _PLAIN_OPERATORS or operators.count("cm") != 1:
                return None
            ((name, raw),) = images.items()
            drawn = [i for i in instructions if str(i.operator) == "Do"]
            if len(drawn) != 1 or str(drawn[0].operands[0]) != name:
                return None
            matrix = next(i.operands for i in instructions if str(i.operator) == "cm")
            box = [float(v) for v in page.mediabox]
            if [float(v) for v in page.cropbox] != box:
                return None  # a viewer, and poppler, show the crop box only
            if not _covers([float(v) for v in matrix], box):
                return None
            if any(key in raw for key in ("/ImageMask", "/SMask", "/Mask", "/Decode")):
                return None
            if abs(int(raw.Width) * 72 / (box[2] - box[0]) - dpi) > 1.5:
                return None
            pixels = _jpeg_pixels(raw)
            if pixels is not None:
                return pixels
            image = pikepdf.PdfImage(raw).as_pil_image()
            if image.mode not in _MODES:
                return None  # CMYK, palettes, 16 bits: poppler converts those better
            image.load()
    except (pikepdf.PikepdfError, ValueError, TypeError, KeyError, IndexError, OSError):
        return None
    if image.mode == "RGB":
        return _bgr(np.asarray(image))
    return np.asarray(image.convert("L"))


def _jpeg_pixels(raw: pikepdf.Object) -> np.ndarray | None:
    """A scanner's JPEG (8-bit grey or RGB) decoded by OpenCV straight into the pixels the page work takes:
    the same pixels as Pillow's decoder gives, without Pillow's copy into numpy and the channels' swap after
    it (about a tenth of a generated counter scan's CPU outside Tesseract). None for anything else, which
    Pillow reads."""
    if raw.get("/Filter") != pikepdf.Name.DCTDecode or raw.get("/BitsPerComponent") != 8:
        return None
    if raw.get("/ColorSpace") not in (pikepdf.Name.DeviceRGB, pikepdf.Name.DeviceGray):
        return None
    width, height = int(raw.Width), int(raw.Height)
    if Image.MAX_IMAGE_PIXELS and width * height > Image.MAX_IMAGE_PIXELS:
        return None  # past Pillow's decompression-bomb limit: Pillow's path gives its verdict
    import cv2  # only the page workers come here; the file checks load this module without OpenCV

    # IMREAD_UNCHANGED: the JPEG's own channels, and no turn by an EXIF orientation, which a PDF viewer
    # does not apply either.
    pixels = cv2.imdecode(np.frombuffer(raw.read_raw_bytes(), np.uint8), cv2.IMREAD_UNCHANGED)
    if pixels is None or pixels.shape[:2] != (height, width) or (pixels.ndim == 3 and pixels.shape[2] != 3):
        return None
    return pixels


@contextmanager
def open_pdf(path: Path | str) -> Iterator[pikepdf.Pdf]:
    """The PDF, open; pikepdf's errors (on opening or while reading it in the block) as sohoa's."""
    try:
        with pikepdf.open(path) as pdf:
            yield pdf
    except SohoaError:
        raise  # the block's own verdicts (a page too large) stand
    except pikepdf.PasswordError as exc:
        raise EncryptedFile(
            "PDF được bảo vệ bằng mật khẩu, không thể đọc", "the PDF is password-protected and cannot be read"
        ) from exc
    except (pikepdf.PdfError, ValueError, IndexError, TypeError) as exc:
        raise CorruptFile("Tệp PDF bị hỏng, không đọc được", "the PDF is damaged and cannot be read") from exc


@contextmanager
def open_image(path: Path | str) -> Iterator[Image.Image]:
    """The image, open; Pillow's errors as sohoa's. A DecompressionBombWarning is TooLarge too where the
    caller has made that warning an error."""
    try:
        with Image.open(path) as img:
            yield img
    except SohoaError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise TooLarge(
            "Ảnh quá lớn (nghi bom giải nén)", "image too large (possible decompression bomb)"
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise CorruptFile(*_DAMAGED_IMAGE) from exc


def load_image(path: Path, frame: int = 0) -> tuple[np.ndarray, int]:
    """A page image as BGR (or grey) pixels, and its resolution from the file (300 dpi when absent)."""
    with open_image(path) as img:
        img.seek(frame)
        dpi_info = img.info.get("dpi") or (_DEFAULT_DPI, _DEFAULT_DPI)
        dpi = round(float(dpi_info[0])) if dpi_info and dpi_info[0] else _DEFAULT_DPI
        if not 50 <= dpi <= 1200:
            dpi = _DEFAULT_DPI
        if img.mode in ("L", "1", "I;16", "I"):
            return np.asarray(img.convert("L")), dpi
        rgb = np.asarray(img.convert("RGB"))
    return _bgr(rgb), dpi


def render_pdf_page(path: Path | str, number: int, dpi: int, *, timeout: float) -> np.ndarray:
    """Page `number` (1-based) rendered by pdftoppm at `dpi`, as BGR pixels. One page at a time: a
    300-page PDF is never rasterized whole into memory."""
    cannot = ("Không đọc được trang PDF", f"cannot rasterize PDF page {number}")
    try:
        images = convert_from_path(path, dpi=dpi, first_page=number, last_page=number, timeout=timeout)
    except PDFPopplerTimeoutError as exc:
        raise TooSlow(
            "Dựng ảnh trang PDF quá thời gian cho phép",
            f"rasterizing PDF page {number} took over {timeout:g} s",
        ) from exc
    except PDFInfoNotInstalledError as exc:
        raise ServiceUnavailable(
            "Chưa cài poppler (gói poppler-utils)", "poppler is not installed (Debian: poppler-utils)"
        ) from exc
    except (PDFPageCountError, PDFSyntaxError) as exc:
        raise CorruptFile(*cannot) from exc
    if not images:
        raise CorruptFile(*cannot)
    return _bgr(np.asarray(images[0].convert("RGB")))


def page_pixels(
    path: Path | str, media_type: str, number: int, dpi: int, *, timeout: float
) -> tuple[np.ndarray, int]:
    """Page `number` (1-based) of a scan file as pixels (BGR or grey), and its resolution: a PDF page at
    `dpi`, an image frame at the resolution the file records."""
    if media_type == "application/pdf":
        scan = scanned_image(str(path), number, dpi)
        if scan is None:
            scan = render_pdf_page(path, number, dpi, timeout=timeout)
        return scan, dpi
    return load_image(Path(path), frame=number - 1)


def _bgr(rgb: np.ndarray) -> np.ndarray:
    """RGB pixels in OpenCV's channel order, as a new array (numpy alone: this module is loaded by the
    processes that only check files, which need no OpenCV)."""
    return np.ascontiguousarray(rgb[..., ::-1])
