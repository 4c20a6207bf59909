"""Memory benchmark of a whole job: `sohoa ingest` of a scanned PDF of K pages (made with the samples'
generator, A4 at 300 dpi, about 400 words a page), for one or more K in one run, so that what grows with
the page count shows as the difference between the columns. Prints the peak of the whole process tree
(`sohoa ingest`, its page workers, their Tesseract runs, sampled from /proc: PSS, what the tree really takes,
and RSS summed over its processes), and the exact peaks of the ingesting process and of its largest child.

`--pdf in-memory` assembles the searchable PDF as sohoa did before issue 23 (every page's image and text
layer held until the save), to compare with the streamed assembly.

    .venv/bin/python bench/pdf_memory.py --pages 500
    .venv/bin/python bench/pdf_memory.py --pages 20 80      # growth per page, in one run
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import img2pdf
import pikepdf
from rich.console import Console

from _proctree import TreePeak
from _table import SideBySide
from sohoa.samples.scangen import make_page
from sohoa.storage.filesystem import FilesystemStore

MODES = {"in-memory": "all pages in memory (before)", "streamed": "page by page (now)"}


@dataclass(frozen=True, slots=True)
class Peaks:
    wall: float  # seconds
    tree_pss: float  # MiB, sampled
    tree_rss: float
    processes: int
    own: float  # MiB, exact (VmHWM) of `sohoa ingest`
    largest_child: float
    pdf_mb: float


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


# One `sohoa ingest` in a process of its own, then its peak memory and its largest worker's, in KiB. It is
# started as `python -c`, not as this script, and loads this script only to swap in the old assembly: spawned
# page workers and the forkserver load the parent's main script again, and this one's imports (img2pdf,
# rich, the page generator) are no part of `sohoa ingest`.
_CHILD = f"""
import resource, sys
mode, scan, report = sys.argv[1:4]
if mode == "in-memory":
    sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})
    import pdf_memory
    import sohoa.ingest.derivatives
    sohoa.ingest.derivatives.build_searchable_pdf = pdf_memory._all_in_memory
from sohoa.__main__ import main
sys.argv = ["sohoa", "ingest", scan]
try:
    main()
except SystemExit as done:
    if done.code:
        raise
# VmHWM, not ru_maxrss: Linux carries a process's RSS high-water mark through fork and exec into the
# child's ru_maxrss, so this process's would be at least this benchmark's own RSS when it started it (the
# 500-page scan, made in memory by img2pdf: 519 MiB reported for an ingest that never passed 140).
own = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
open(report, "w").write(f"{{own}} {{workers}}")
"""


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


def run(mode: str, scan: Path, data: Path) -> Peaks:
    """One `sohoa ingest` of `scan` in a process of its own, its tree sampled while it runs."""
    data.mkdir(parents=True)
    report = data / "peak.txt"
    env = {**os.environ, "SOHOA_DATA_DIR": str(data)}
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, mode, str(scan), str(report)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    sampled = TreePeak(child.pid).start()
    code = child.wait()
    sampled.stop()
    wall = time.perf_counter() - start
    if code:
        raise SystemExit(f"sohoa ingest of {scan} failed ({code})")
    own, largest = (int(v) / 1024 for v in report.read_text().split())
    store = FilesystemStore(data / "store")
    pdfs = [key for key in store.list("documents/") if key.endswith("/searchable.pdf")]
    size = sum(store.stat(key).size for key in pdfs) / 1e6
    return Peaks(wall, sampled.pss / 1024, sampled.rss / 1024, sampled.processes, own, largest, size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, nargs="+", default=[500], help="page counts, one run each")
    parser.add_argument("--pdf", choices=list(MODES), default="streamed", help="searchable PDF assembly")
    args = parser.parse_args()
    results: dict[int, Peaks] = {}
    with tempfile.TemporaryDirectory(prefix="sohoa-bench-pdfmem-") as tmp_name:
        for pages in args.pages:
            folder = Path(tmp_name) / str(pages)
            folder.mkdir()
            scan = folder / "scan.pdf"
            scanned_pdf(scan, pages, folder)
            results[pages] = run(args.pdf, scan, folder / "data")
            scan.unlink()
    counts = list(results)
    table = SideBySide(
        f"sohoa ingest of a scanned PDF (A4, 300 dpi), searchable PDF {MODES[args.pdf]}, "
        f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}",
        [f"{n} pages" for n in counts],
        ratio_label=f"{counts[-1]} / {counts[0]} pages" if len(counts) == 2 else "",
    )
    rows = [
        ("wall time, s", "wall", ".1f"),
        ("peak of the process tree, PSS, MiB", "tree_pss", ".0f"),
        ("peak of the process tree, RSS summed, MiB", "tree_rss", ".0f"),
        ("processes at once, most", "processes", "d"),
        ("peak of sohoa ingest itself (VmHWM), MiB", "own", ".0f"),
        # A spawned worker's ru_maxrss counts sohoa ingest's RSS when it started the worker, as above.
        ("peak of its largest child (ru_maxrss), MiB", "largest_child", ".0f"),
        ("searchable PDF, MB", "pdf_mb", ".1f"),
    ]
    for label, name, fmt in rows:
        table.row(label, [getattr(results[n], name) for n in counts], fmt)
    table.row("seconds a page", [results[n].wall / n for n in counts], ".2f")
    Console().print(table.table)
    if len(counts) > 1:
        first, last = results[counts[0]], results[counts[-1]]
        per_100 = 100 / (counts[-1] - counts[0])
        print(
            f"growth per 100 pages: tree PSS {(last.tree_pss - first.tree_pss) * per_100:+.0f} MiB, "
            f"sohoa ingest {(last.own - first.own) * per_100:+.0f} MiB"
        )


if __name__ == "__main__":
    main()
