"""Cost per page (issue 23): the searchable PDF is assembled in memory flat with the page count, and a page
too large at 300 dpi is read at a lower resolution instead of refusing the document."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pikepdf

import sohoa
from sohoa.ocr.pdf import blank_text_pdf

SRC = Path(sohoa.__file__).resolve().parent.parent

# The child builds the PDF and says its own peak resident memory (ru_maxrss is in KiB on Linux).
_BUILD = """
import json, resource, sys
from pathlib import Path
from sohoa.ocr.pdf import build_searchable_pdf
parts = [(Path(j), Path(t), d) for j, t, d in json.loads(Path(sys.argv[1]).read_text())]
build_searchable_pdf(parts, Path(sys.argv[2]))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _text_layer(words: str, width_pt: float, height_pt: float) -> bytes:
    """A one-page PDF with `words` as invisible text (render mode 3), as Tesseract's text layer is."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(width_pt, height_pt))
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
        )
    )
    page = pdf.pages[0]
    page.obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    page.obj.Contents = pdf.make_stream(f"BT 3 Tr /F1 12 Tf 20 20 Td ({words}) Tj ET".encode())
    buf = io.BytesIO()
    pdf.save(buf)
    return buf.getvalue()


def _pages(folder: Path, count: int) -> list[tuple[str, str, int]]:
    """`count` pages of 600×800 noise at 100 dpi (noise: JPEG cannot shrink it, about 320 kB a page), each
    tenth with a text layer saying its number, the others blank."""
    rng = np.random.default_rng(count)
    parts = []
    for n in range(1, count + 1):
        jpeg = folder / f"{n}.jpg"
        noise = rng.integers(0, 256, (800, 600), dtype=np.uint8)
        jpeg.write_bytes(cv2.imencode(".jpg", noise, [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes())
        text = folder / f"{n}.text.pdf"
        layer = _text_layer(f"trang {n}", 432, 576) if n % 10 == 0 else blank_text_pdf(600, 800, 100)
        text.write_bytes(layer)
        parts.append((str(jpeg), str(text), 100))
    return parts


def _build_peak_mib(folder: Path, count: int) -> tuple[float, Path, int]:
    folder.mkdir()
    parts = _pages(folder, count)
    listing = folder / "parts.json"
    listing.write_text(json.dumps(parts))
    out = folder / "searchable.pdf"
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    run = subprocess.run(
        [sys.executable, "-c", _BUILD, str(listing), str(out)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    jpegs = sum(Path(j).stat().st_size for j, _, _ in parts)
    return int(run.stdout.strip()) / 1024, out, jpegs


def test_searchable_pdf_memory_stays_flat_with_page_count(tmp_path: Path) -> None:
    few, _, _ = _build_peak_mib(tmp_path / "few", 30)
    many, pdf, jpegs = _build_peak_mib(tmp_path / "many", 300)
    # 270 more pages are 86 MB more JPEG; held in memory (as before) they cost twice that.
    assert many - few < 30, f"300 pages peaked at {many:.0f} MiB, 30 pages at {few:.0f} MiB"
    assert jpegs / 2**20 > 80
    with pikepdf.open(pdf) as doc:
        assert len(doc.pages) == 300
        assert float(doc.pages[-1].mediabox[2]) == 432  # 600 px at 100 dpi
    last = subprocess.run(
        ["pdftotext", "-f", "300", "-l", "300", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "trang 300" in last
