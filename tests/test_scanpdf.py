"""A scanner's PDF page is read from its stored image; every other kind of PDF page is rendered by poppler."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import img2pdf
import numpy as np
import pikepdf
import pytest
from PIL import Image

from sohoa.ingest.page_work import load_page
from sohoa.ingest.pages import PageTask
from sohoa.ocr.pipeline import OcrOptions
from sohoa.ocr.rasterize import scanned_image
from sohoa.samples import make_page


@pytest.fixture(scope="module")
def scan() -> Image.Image:
    return make_page(seed=7, size="A5", lines=3, dpi=200).image.convert("RGB")


def _png_pdf(image: Image.Image, path: Path, dpi: int) -> Path:
    # PNG is stored losslessly (Flate), so the pixels read back must be the very pixels written.
    buf = io.BytesIO()
    image.save(buf, "PNG", dpi=(dpi, dpi))
    path.write_bytes(img2pdf.convert(buf.getvalue()))
    return path


def _edit(source: Path, target: Path, change: Callable[[pikepdf.Pdf, pikepdf.Page], None]) -> Path:
    with pikepdf.open(source) as pdf:
        change(pdf, pdf.pages[0])
        pdf.save(target)
    return target


def _load(path: Path, dpi: int) -> np.ndarray:
    return load_page(PageTask(str(path), "application/pdf", 1, dpi, str(path.parent), OcrOptions()))[0]


def test_a_scanners_page_is_its_stored_image(scan: Image.Image, tmp_path: Path) -> None:
    pdf = _png_pdf(scan, tmp_path / "scan.pdf", 200)
    pixels = scanned_image(str(pdf), 1, 200)
    assert pixels is not None
    assert np.array_equal(pixels[:, :, ::-1], np.asarray(scan))  # BGR of the very same pixels
    grey = _png_pdf(scan.convert("L"), tmp_path / "grey.pdf", 200)
    assert np.array_equal(scanned_image(str(grey), 1, 200), np.asarray(scan.convert("L")))


def test_a_scanners_jpeg_page_is_decoded_once_into_the_pixels_pillow_gives(
    scan: Image.Image, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """JPEG, what most scanners store, is decoded by OpenCV straight into BGR (or grey): the same pixels as
    Pillow's decoder, without Pillow's copy and the channels' swap after it."""
    expected = {}
    for mode in ("RGB", "L"):
        buf = io.BytesIO()
        scan.convert(mode).save(buf, "JPEG", quality=80, dpi=(200, 200))
        (tmp_path / f"{mode}.pdf").write_bytes(img2pdf.convert(buf.getvalue()))
        expected[mode] = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert(mode))

    def no_pillow(*_: object) -> None:
        raise AssertionError("the JPEG went through Pillow")

    monkeypatch.setattr(pikepdf.PdfImage, "as_pil_image", no_pillow)
    colour = scanned_image(str(tmp_path / "RGB.pdf"), 1, 200)
    assert colour is not None and np.array_equal(colour[:, :, ::-1], expected["RGB"])
    assert np.array_equal(scanned_image(str(tmp_path / "L.pdf"), 1, 200), expected["L"])


def test_pages_that_are_more_than_one_image_are_rendered(scan: Image.Image, tmp_path: Path) -> None:
    pdf = _png_pdf(scan, tmp_path / "scan.pdf", 200)

    def draw_a_line(pdf: pikepdf.Pdf, page: pikepdf.Page) -> None:
        page.contents_add(pikepdf.Stream(pdf, b"0 0 m 100 100 l S"))

    def turn(_pdf: pikepdf.Pdf, page: pikepdf.Page) -> None:
        page.obj.Rotate = 90

    def shrink_the_image(_pdf: pikepdf.Pdf, page: pikepdf.Page) -> None:
        box = page.mediabox
        page.mediabox = pikepdf.Array([box[0], box[1], float(box[2]) * 1.5, float(box[3]) * 1.5])

    def crop(_pdf: pikepdf.Pdf, page: pikepdf.Page) -> None:
        box = page.mediabox
        page.cropbox = pikepdf.Array([box[0], box[1], float(box[2]) / 2, float(box[3]) / 2])

    drawn = _edit(pdf, tmp_path / "drawn.pdf", draw_a_line)
    turned = _edit(pdf, tmp_path / "turned.pdf", turn)
    margins = _edit(pdf, tmp_path / "margins.pdf", shrink_the_image)
    assert scanned_image(str(drawn), 1, 200) is None
    assert scanned_image(str(turned), 1, 200) is None
    assert scanned_image(str(margins), 1, 200) is None
    assert scanned_image(str(_edit(pdf, tmp_path / "cropped.pdf", crop)), 1, 200) is None
    assert scanned_image(str(pdf), 1, 300) is None  # asked for another resolution than the image's
    # Rendered instead, as a viewer shows them: the turn is applied, the drawing is on the page.
    width, height = scan.size
    assert _load(turned, 200).shape[:2] == (width, height)
    assert _load(drawn, 200).shape[:2] == (height, width)
    assert not np.array_equal(_load(drawn, 200)[:, :, ::-1], np.asarray(scan))


def test_a_damaged_pdf_falls_back_to_rendering(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"%PDF-1.4\n%junk\n")
    assert scanned_image(str(junk), 1, 300) is None
