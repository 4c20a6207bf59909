"""The searchable PDF: each page image at capture resolution with its invisible text layer on top.

The image pages come from img2pdf (JPEG embedded as is, no re-encoding) and the text layers from the page's
final words (ocr.textlayer); pikepdf lays each text page over its image page as a form XObject scaled to
the page box, the way OCRmyPDF's sandwich renderer does. The pages are made one at a time into
files and joined by qpdf from those files, so a long document is never held in memory whole (a 192-page
scan once peaked at 708 MB when every page's image was held until the save).

The file is PDF/A-2b (recommended for long-term keeping by TCVN 14159-1:2024): an sRGB output intent for
the page images and XMP metadata that declares the conformance; Tesseract's glyphless text font is embedded
already.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import img2pdf
import pikepdf
from PIL import ImageCms


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


def build_searchable_pdf(pages: Sequence[tuple[Path, Path, int]], out: Path, *, title: str = "") -> None:
    """(JPEG file of the cleaned page, text-only PDF file of that page, dpi) per page → one PDF/A-2b file
    at `out`, in memory flat with the page count: each page is made on its own and left in a scratch
    folder beside `out`, then qpdf joins the page files, reading each page's image from its file only
    while it writes the result (qpdf closes and reopens the files when there are many, so a 2000-page
    document does not need 2000 open files either)."""
    with tempfile.TemporaryDirectory(prefix="searchable-", dir=out.parent) as scratch:
        files = []
        for n, (jpeg, text_pdf, dpi) in enumerate(pages, 1):
            files.append(_page_file(Path(jpeg), Path(text_pdf), dpi, Path(scratch) / f"{n}.pdf"))
        # PDF/A wants an end of line before each endstream (pikepdf adds it when it sees PDF/A metadata).
        args = ["--empty", "--newline-before-endstream", "--pages", *map(str, files), "--", str(out)]
        job = pikepdf.Job(["qpdf", *args])
        result = job.create_pdf()
        make_pdfa(result, title=title)
        job.write_pdf(result)


def _page_file(jpeg: Path, text_pdf: Path, dpi: int, out: Path) -> Path:
    """One page of the searchable PDF: the image page (img2pdf: the JPEG embedded as is) under its text
    layer, saved at `out`; only this page's bytes are in memory."""
    layout = img2pdf.get_fixed_dpi_layout_fun((dpi, dpi))
    image_pdf = io.BytesIO(img2pdf.convert(str(jpeg), layout_fun=layout))
    with pikepdf.open(image_pdf) as doc, pikepdf.open(text_pdf) as text_doc:
        page = doc.pages[0]
        text_page = text_doc.pages[0]
        if text_page.obj.get("/Contents") is not None:
            form = doc.copy_foreign(text_page.as_form_xobject())
            page.add_overlay(form, pikepdf.Rectangle(page.mediabox))
        doc.save(out)
    return out
