"""The searchable PDF: each page image at capture resolution with Tesseract's invisible text layer on top.

The image pages come from img2pdf (JPEG embedded as is, no re-encoding) and the text layers from the same
Tesseract run that produced the words; pikepdf lays each text page over its image page as a form XObject
scaled to the page box, the way OCRmyPDF's sandwich renderer does. The file is PDF/A-2b (recommended for
long-term keeping by TCVN 14159-1:2024): an sRGB output intent for the page images and XMP metadata that
declares the conformance; Tesseract's glyphless text font is embedded already.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import img2pdf
import pikepdf
from PIL import ImageCms


def blank_text_pdf(width_px: int, height_px: int, dpi: int) -> bytes:
    """A one-page PDF with no text, the size of the page: the text layer of a blank page."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(width_px * 72 / dpi, height_px * 72 / dpi))
    buf = io.BytesIO()
    pdf.save(buf)
    return buf.getvalue()


@lru_cache(maxsize=1)
def _srgb_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def make_pdfa(pdf: pikepdf.Pdf, *, title: str = "") -> None:
    """Declare PDF/A-2b: an sRGB output intent (the page images are DeviceRGB/DeviceGray) and XMP metadata."""
    profile = pdf.make_stream(_srgb_profile())
    profile.N = 3
    intent = pikepdf.Dictionary(
        Type=pikepdf.Name.OutputIntent,
        S=pikepdf.Name.GTS_PDFA1,
        OutputConditionIdentifier="sRGB",
        Info="sRGB IEC61966-2.1",
        DestOutputProfile=profile,
    )
    pdf.Root.OutputIntents = pikepdf.Array([intent])
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["pdfaid:part"] = "2"
        meta["pdfaid:conformance"] = "B"
        meta["pdf:Producer"] = "sohoa"
        meta["xmp:CreatorTool"] = "sohoa"
        if title:
            meta["dc:title"] = title


def build_searchable_pdf(pages: Sequence[tuple[bytes, bytes, int]], out: Path, *, title: str = "") -> None:
    """(JPEG of the cleaned page, text-only PDF of that page, dpi) per page → one PDF/A-2b file at `out`."""
    result = pikepdf.new()
    for jpeg, text_pdf, dpi in pages:
        layout = img2pdf.get_fixed_dpi_layout_fun((dpi, dpi))
        with pikepdf.open(io.BytesIO(img2pdf.convert(jpeg, layout_fun=layout))) as image_doc:
            result.pages.append(image_doc.pages[0])
        page = result.pages[-1]
        with pikepdf.open(io.BytesIO(text_pdf)) as text_doc:
            text_page = text_doc.pages[0]
            if text_page.obj.get("/Contents") is not None:
                form = result.copy_foreign(text_page.as_form_xobject())
                page.add_overlay(form, pikepdf.Rectangle(page.mediabox))
    make_pdfa(result, title=title)
    result.save(out)
