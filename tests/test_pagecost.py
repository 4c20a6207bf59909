"""Cost per page (issue 23): the searchable PDF is assembled in memory flat with the page count, and a page
too large at 300 dpi is read at a lower resolution instead of refusing the document."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import cv2
import img2pdf
import numpy as np
import pikepdf
import pytest

import sohoa
from sohoa.errors import TooLarge
from sohoa.ingest.pipeline import ingest_file
from sohoa.ingest.sniff import Limits, inspect
from sohoa.ocr.textlayer import text_layer_pdf
from sohoa.samples.scangen import render_page
from sohoa.search.base import SearchQuery
from sohoa.search.sqlite import SqliteIndex
from sohoa.storage.filesystem import FilesystemStore

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
        layer = _text_layer(f"trang {n}", 432, 576) if n % 10 == 0 else text_layer_pdf([], 600, 800, 100)
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


POSTER_LINES = ["QUY HOẠCH CHI TIẾT XÃ HÒA BÌNH", "Bản đồ hiện trạng sử dụng đất năm 2025"]


def _poster(path: Path) -> Path:
    """A PDF of an A5 letter then a page of 30 × 30 inches (as OCRmyPDF's test file multipage.pdf has: a
    plan or a poster), the second showing a page of text drawn across it, larger than the page rendered
    from it (so it is rendered, not taken as a scan's image)."""
    letter = render_page(["Kính gửi: Ủy ban nhân dân xã"], size="A5", dpi=200, header=False)
    poster = render_page(POSTER_LINES, size="A5", dpi=100, header=False, font_pt=20)
    first, second = path.with_suffix(".1.png"), path.with_suffix(".2.png")
    letter.save(first, dpi=(200, 200))
    poster.save(second, dpi=(100, 100))
    layout = img2pdf.get_layout_fun((img2pdf.in_to_pt(30), img2pdf.in_to_pt(30)), fit=img2pdf.FitMode.into)
    letter_pdf = img2pdf.convert(str(first), layout_fun=img2pdf.get_fixed_dpi_layout_fun((200, 200)))
    poster_pdf = img2pdf.convert(str(second), layout_fun=layout)
    with pikepdf.open(io.BytesIO(letter_pdf)) as out, pikepdf.open(io.BytesIO(poster_pdf)) as big:
        out.pages.append(big.pages[0])
        out.save(path)
    return path


def test_a_page_too_large_at_300_dpi_is_read_at_the_highest_resolution_that_fits(tmp_path: Path) -> None:
    pdf = _poster(tmp_path / "plan.pdf")
    # With the default limit (80 MP) the 30-inch page is 81 MP at 300 dpi; it fits at 298.
    assert inspect(pdf, Limits()).page_dpi == (200, 298)
    # Read here under a 16 MP limit (133 dpi), to keep the test's OCR small.
    limits = Limits(max_pixels=16_000_000)
    store, index = FilesystemStore(tmp_path / "store"), SqliteIndex(tmp_path / "index.sqlite3")
    document = ingest_file(pdf, store=store, index=index, limits=limits).document
    letter, poster = document.pages
    assert (letter.dpi, poster.dpi) == (200, 133)
    assert "QUY HOẠCH" in poster.text and "sử dụng đất" in poster.text
    assert poster.width * poster.height <= 16_000_000
    assert [hit.page for hit in index.search(SearchQuery(text="su dung dat")).hits] == [2]
    with pikepdf.open(io.BytesIO(store.get_bytes(document.searchable_pdf_key))) as searchable:
        # The page keeps its size in inches (the cleaned image, cropped, at the dpi it was read at).
        width_pt = float(searchable.pages[1].mediabox[2])
        assert width_pt == pytest.approx(poster.width * 72 / 133, abs=1)
        assert width_pt > 20 * 72


def test_a_page_too_large_to_read_at_100_dpi_is_refused(tmp_path: Path) -> None:
    pdf = _poster(tmp_path / "plan.pdf")
    # 30 × 30 inches within 8 MP is 94 dpi: too coarse to read.
    with pytest.raises(TooLarge) as refused:
        inspect(pdf, Limits(max_pixels=8_000_000))
    assert "100 dpi" in refused.value.en and "100 dpi" in refused.value.vi
    assert "30×30" in refused.value.en
    store, index = FilesystemStore(tmp_path / "store"), SqliteIndex(tmp_path / "index.sqlite3")
    with pytest.raises(TooLarge):
        ingest_file(pdf, store=store, index=index, limits=Limits(max_pixels=8_000_000))
    assert list(store.list("")) == []


def test_sohoa_ingest_says_why_a_page_too_large_to_read_is_refused(tmp_path: Path) -> None:
    pdf = _poster(tmp_path / "plan.pdf")
    env = {**os.environ, "SOHOA_DATA_DIR": str(tmp_path / "data"), "SOHOA_MAX_PIXELS": "8000000"}
    sohoa_cli = str(Path(sys.executable).parent / "sohoa")
    run = subprocess.run(
        [sohoa_cli, "ingest", str(pdf)], capture_output=True, text=True, env=env, check=False
    )
    assert run.returncode != 0
    said = " ".join((run.stdout + run.stderr).split())
    assert "100 dpi" in said and "30×30" in said, said


_AS_INSTALLED = """
import sys
import tomllib
from {module} import {function}
if __name__ == "__main__":
    from sohoa.ingest.executor import LocalProcessExecutor
    executor = LocalProcessExecutor(1)
    probe = "[m for m in ('typer', 'pyhanko', 'fastapi', 'sohoa.api.cli') if m in __import__('sys').modules]"
    print(*executor.map_unordered(eval, [probe]))
    executor.close()
"""


def test_a_page_worker_does_not_load_the_command_line(tmp_path: Path) -> None:
    # The `sohoa` script as pip writes it from pyproject's entry point; a spawned worker imports it again.
    with (SRC.parent / "pyproject.toml").open("rb") as f:
        module, function = tomllib.load(f)["project"]["scripts"]["sohoa"].split(":")
    script = tmp_path / "sohoa"
    script.write_text(_AS_INSTALLED.format(module=module, function=function))
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    run = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]", f"a page worker loaded {run.stdout.strip()}"
