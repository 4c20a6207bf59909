"""A scanner's PDF page is one image drawn over the whole page: take its pixels as stored.

Rendering such a page with pdftoppm cost half a second a page here, and resampled a JPEG that needed no
resampling. Anything else on the page (text, vector drawing, a second image, a mask, a turn by /Rotate, an
image not at the page's resolution) and the caller renders the page as before.
"""

from __future__ import annotations

import cv2
import numpy as np
import pikepdf

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
            image = pikepdf.PdfImage(raw).as_pil_image()
            if image.mode not in _MODES:
                return None  # CMYK, palettes, 16 bits: poppler converts those better
            image.load()
    except (pikepdf.PikepdfError, ValueError, TypeError, KeyError, IndexError, OSError):
        return None
    if image.mode == "RGB":
        return cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR)
    return np.asarray(image.convert("L"))
