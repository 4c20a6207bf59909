"""OCR benchmark on real scans: sohoa, OCRmyPDF (fastest mode) and bare Tesseract on the same pages.

The pages are tests/data/real_scans/ (SOURCES.md says where each comes from): real scanner and camera
images of Vietnamese administrative letters, each beside the printed text typed from it (`NAME.txt`).
Each engine reads each page on its own:

- sohoa: `ingest_file` on each image, the path `sohoa ingest` takes (clean-up, OCR, searchable PDF, store,
  index), on a 2-process pool, in a process of its own (bench/_sohoa_child.py says why);
- OCRmyPDF in its fastest comparable mode: `-l vie --rotate-pages --deskew --jobs 2 --output-type pdf
  --optimize 0 --sidecar` (install with `pip install -e '.[bench]'`; `make bench-ocr-real` does);
- bare `tesseract IMAGE - -l vie`, one thread (OMP_THREAD_LIMIT=1).

Prints one table per engine (words found as printed, words found without diacritics, character and word
error rates, wall and CPU seconds per page) and one per page (words found as printed and folded, and
whether sohoa finds at least as many words as OCRmyPDF on that page).

    .venv/bin/python bench/ocr_real.py [--pages DIR] [--only NAME,...] [--out DIR] [--ablate]

With --ablate, sohoa also reads the pages without its syllable correction (ocr.rescore), in the same run.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image
from rich.console import Console
from rich.table import Table

from _ocr_score import error_rates, word_counts
from _sohoa_child import ingest_in_child
from _table import SideBySide

PAGES = Path(__file__).resolve().parent.parent / "tests" / "data" / "real_scans"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff")


@dataclass
class Engine:
    """One engine's readings of every page, and the time they took."""

    name: str
    texts: list[str] = field(default_factory=list)
    walls: list[float] = field(default_factory=list)
    cpu: float = 0.0


def cpu_now() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def scanned_pages(folder: Path, only: set[str]) -> list[tuple[Path, str]]:
    """Each image that has its truth beside it, by name."""
    pages = []
    for image in sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
        truth = image.with_suffix(".txt")
        if truth.exists() and (not only or image.stem in only):
            pages.append((image, truth.read_text(encoding="utf-8")))
    return pages


def timed(engine: Engine, images: list[Path], read: Callable[[Path], str]) -> Engine:
    cpu = cpu_now()
    for image in images:
        start = time.perf_counter()
        engine.texts.append(read(image))
        engine.walls.append(time.perf_counter() - start)
    engine.cpu = cpu_now() - cpu
    return engine


def run_sohoa(images: list[Path], work: Path, name: str = "sohoa", options: dict | None = None) -> Engine:
    """`options`: OcrOptions fields to set (the defaults otherwise)."""
    run = ingest_in_child(images, work / name, options)
    return Engine(name, ["\n".join(pages) for pages in run.pages], run.walls, run.cpu)


def run_ocrmypdf(images: list[Path], work: Path) -> Engine:
    exe = shutil.which("ocrmypdf", path=str(Path(sys.executable).parent)) or shutil.which("ocrmypdf")
    if exe is None:
        raise SystemExit("ocrmypdf is not installed: pip install -e '.[bench]' (or make bench-ocr-real)")
    fastest = [
        "-l",
        "vie",
        "--rotate-pages",
        "--deskew",
        "--jobs",
        "2",
        "--output-type",
        "pdf",
        "--optimize",
        "0",
    ]

    def read(image: Path) -> str:
        sidecar = work / f"{image.stem}.ocrmypdf.txt"
        # OCRmyPDF refuses an image under 96 dpi unless told its resolution; the file's own is the truth.
        with Image.open(image) as im:
            dpi = round(im.info.get("dpi", (300, 300))[0])
        args = [
            exe,
            *fastest,
            "--image-dpi",
            str(dpi),
            "--sidecar",
            str(sidecar),
            str(image),
            str(work / f"{image.stem}.ocrmypdf.pdf"),
        ]
        result = subprocess.run(args, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise SystemExit(
                f"ocrmypdf failed on {image.name} ({result.returncode}):\n{result.stderr[-2000:]}"
            )
        return sidecar.read_text(encoding="utf-8")

    return timed(Engine("ocrmypdf fastest"), images, read)


def run_tesseract(images: list[Path]) -> Engine:
    # One thread, as sohoa and OCRmyPDF run it: the CPU a page costs is what the table compares, and
    # Tesseract's OpenMP threads spin while they wait (17 s of CPU for three pages where one thread took 5 s,
    # beside the test servers' idle load).
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def read(image: Path) -> str:
        args = ["tesseract", str(image), "-", "-l", "vie"]
        return subprocess.run(args, capture_output=True, text=True, check=True, env=env).stdout

    return timed(Engine("tesseract -l vie"), images, read)


def totals(engine: Engine, truths: list[str], *, folded: bool) -> float:
    counts = [word_counts(t, r, folded=folded) for t, r in zip(truths, engine.texts, strict=True)]
    return sum(c[0] for c in counts) / sum(c[1] for c in counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=Path, default=PAGES, help="images with NAME.txt truths beside them")
    parser.add_argument("--only", default="", help="comma-separated page names (without suffix) to run")
    parser.add_argument("--out", type=Path, default=None, help="keep the outputs here")
    parser.add_argument("--ablate", action="store_true", help="also sohoa without the syllable correction")
    args = parser.parse_args()
    pages = scanned_pages(args.pages, {n for n in args.only.split(",") if n})
    if not pages:
        raise SystemExit(f"no image with a truth beside it in {args.pages}")
    images, truths = [p[0] for p in pages], [p[1] for p in pages]
    work = args.out or Path(tempfile.mkdtemp(prefix="sohoa-bench-ocr-real-"))
    work.mkdir(parents=True, exist_ok=True)
    engines = [run_sohoa(images, work), run_ocrmypdf(images, work), run_tesseract(images)]
    if args.ablate:  # what the syllable correction adds, on the same pages in the same run
        engines.append(run_sohoa(images, work, "sohoa-uncorrected", {"correct_syllables": False}))
    for engine in engines:
        for image, text in zip(images, engine.texts, strict=True):
            (work / f"{image.stem}.{engine.name.split()[0]}.out.txt").write_text(text, encoding="utf-8")

    console = Console(width=160)
    n = len(pages)
    summary = SideBySide(
        f"OCR on {n} real scanned pages ({args.pages.name}), 2 cores", [e.name for e in engines]
    )
    summary.row("words found as printed", [totals(e, truths, folded=False) for e in engines], ".2%")
    summary.row("words found without diacritics", [totals(e, truths, folded=True) for e in engines], ".2%")
    rates = [error_rates(e.texts, truths) for e in engines]
    summary.row("character error rate", [r[0] for r in rates], ".2%")
    summary.row("word error rate (in order)", [r[1] for r in rates], ".2%")
    summary.row("wall s per page", [sum(e.walls) / n for e in engines], ".2f")
    summary.row("CPU s per page", [e.cpu / n for e in engines], ".2f")
    console.print(summary.table)

    per_page = Table(title="words found per page: as printed / without diacritics")
    per_page.add_column("page")
    per_page.add_column("words", justify="right")
    for engine in engines:
        per_page.add_column(engine.name, justify="right")
    per_page.add_column("sohoa ≥ OCRmyPDF", justify="center")
    for k, (image, truth) in enumerate(pages):
        cells, exact = [], []
        for engine in engines:
            found, total = word_counts(truth, engine.texts[k])
            found_folded, _ = word_counts(truth, engine.texts[k], folded=True)
            cells.append(f"{found / total:.1%} / {found_folded / total:.1%}")
            exact.append(found)
        per_page.add_row(image.stem, str(total), *cells, "yes" if exact[0] >= exact[1] else "NO")
    console.print(per_page)
    console.print(f"outputs in {work}")


if __name__ == "__main__":
    main()
