"""Memory benchmark of a whole job: `sohoa ingest` of a scanned PDF of K pages (made with the samples'
generator), with the searchable PDF assembled page by page from files (sohoa now) and, in the same run, with
every page's image and text layer held in memory until the save (sohoa before issue 23, kept here to compare).
Prints the peak resident memory of the process that assembles the PDF and of the largest page worker.

    .venv/bin/python bench/pdf_memory.py --pages 500
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import img2pdf
import pikepdf
from rich.console import Console

from _table import SideBySide
from sohoa.samples.scangen import make_page
from sohoa.storage.filesystem import FilesystemStore

MODES = {"in-memory": "all pages in memory (before)", "streamed": "page by page (now)"}


def _all_in_memory(pages: list[tuple[Path, Path, int]], out: Path, *, title: str = "") -> None:
    """The searchable PDF as sohoa built it before issue 23: every page's JPEG and text layer read into
    memory, each image page opened from its bytes, all held until the save."""
    from sohoa.ocr.pdf import make_pdfa

    result = pikepdf.new()
    for jpeg, text_pdf, dpi in [(Path(j).read_bytes(), Path(t).read_bytes(), d) for j, t, d in pages]:
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


def child(mode: str, scan: Path, report: Path) -> None:
    """One `sohoa ingest` in this process, then its peak memory and its largest worker's, in KiB."""
    if mode == "in-memory":
        import sohoa.ingest.derivatives

        sohoa.ingest.derivatives.build_searchable_pdf = _all_in_memory  # type: ignore[assignment]
    from sohoa.api.cli import main

    sys.argv = ["sohoa", "ingest", str(scan)]
    try:
        main()
    except SystemExit as done:
        if done.code:
            raise
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    report.write_text(f"{own} {workers}")


def scanned_pdf(path: Path, pages: int, folder: Path) -> None:
    """`pages` generated A4 pages at 300 dpi, one JPEG each, as a scanner's software writes them."""
    jpegs = []
    for n in range(pages):
        jpeg = folder / f"page-{n}.jpg"
        make_page(seed=100 + n, lines=20).image.convert("RGB").save(jpeg, quality=90, dpi=(300, 300))
        jpegs.append(str(jpeg))
    with path.open("wb") as out:
        img2pdf.convert(jpegs, outputstream=out)
    for jpeg in jpegs:
        Path(jpeg).unlink()


def run(mode: str, scan: Path, data: Path) -> tuple[float, float, float, float]:
    """Wall seconds, peak MiB of the assembling process and of the largest worker, searchable PDF MB."""
    report = data / "peak.txt"
    env = {**os.environ, "SOHOA_DATA_DIR": str(data)}
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, __file__, "--child", mode, str(scan), str(report)],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - start
    own, workers = (int(v) / 1024 for v in report.read_text().split())
    store = FilesystemStore(data / "store")
    pdfs = [key for key in store.list("documents/") if key.endswith("/searchable.pdf")]
    return wall, own, workers, sum(store.stat(key).size for key in pdfs) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--child", nargs=3, metavar=("MODE", "SCAN", "REPORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, scan, report = args.child
        child(mode, Path(scan), Path(report))
        return
    with tempfile.TemporaryDirectory(prefix="sohoa-bench-pdfmem-") as tmp_name:
        tmp = Path(tmp_name)
        scan = tmp / "scan.pdf"
        scanned_pdf(scan, args.pages, tmp)
        size = scan.stat().st_size / 1e6
        results = {mode: run(mode, scan, tmp / mode) for mode in MODES}
    table = SideBySide(
        f"sohoa ingest of a {args.pages}-page scanned PDF ({size:.0f} MB), {os.cpu_count()} cores",
        list(MODES.values()),
        ratio_label="now / before",
    )
    before, now = results["in-memory"], results["streamed"]
    table.row("wall time, s", [before[0], now[0]], ".1f")
    table.row("peak memory of sohoa ingest (builds the PDF), MiB", [before[1], now[1]], ".0f")
    table.row("peak memory of the largest worker, MiB", [before[2], now[2]], ".0f")
    table.row("searchable PDF, MB", [before[3], now[3]], ".1f")
    Console().print(table.table)


if __name__ == "__main__":
    main()
