"""Whether a change to the page work reads pages as the version before it did: for a speed-up that claims to
change nothing, the check that it changes nothing.

Checks out BASE (a commit, default HEAD) into a temporary git worktree, then runs that version's
`process_page` and this checkout's, each in a process of its own, over the same pages: the 28 generated pages
of bench/ocr_vs_ocrmypdf.py (seeds 1, 2, one PDF) and the real scans in tests/data/real_scans. Prints each
page whose reading differs (text, turn, skew, difference hash, review reasons or image size), how many read
the same, and each version's CPU seconds for the pages (with the page JPEG each stores).

    .venv/bin/python bench/same_reading.py [--base REV] [--no-real]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ocr_vs_ocrmypdf import make_batch

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "tests" / "data" / "real_scans"
FIELDS = ("text", "turn", "skew", "dhash", "review", "size")

# argv: the batch PDF, its page count, the real scans' folder ("" for none), the report's path.
_CHILD = """
import json, sys, time
from pathlib import Path
import cv2
cv2.setNumThreads(1)  # as the page workers run
from sohoa.ocr.pipeline import encode_page_image, process_page
from sohoa.ocr.rasterize import load_image, page_pixels

pdf, count, real, report = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
pages = [(f"generated {n}", lambda n=n: page_pixels(pdf, "application/pdf", n, 300, timeout=300))
         for n in range(1, count + 1)]
if real:
    pages += [(p.name, lambda p=p: load_image(p)) for p in sorted(Path(real).glob("*.[jp][pn]g"))]
readings, cpu = {}, 0.0
for name, load in pages:
    image, dpi = load()
    start = time.process_time()
    out = process_page(image, dpi=dpi)
    encode_page_image(out.image)
    cpu += time.process_time() - start
    a = out.analysis
    readings[name] = [a.text, a.rotation, a.skew, a.dhash, a.review_reasons, list(out.image.shape)]
Path(report).write_text(json.dumps({"readings": readings, "cpu": cpu}, ensure_ascii=False), encoding="utf-8")
"""


def read_with(src: Path, pdf: Path, count: int, real: Path | None, work: Path) -> dict:
    """The readings of the pages by the sohoa under `src`, and its CPU seconds for them."""
    report = work / f"reading-{src.parent.name}.json"
    env = {**os.environ, "PYTHONPATH": str(src)}
    args = [sys.executable, "-c", _CHILD, str(pdf), str(count), str(real or ""), str(report)]
    subprocess.run(args, check=True, env=env, cwd=work)
    return json.loads(report.read_text(encoding="utf-8"))


def _shown(before: list, after: list, changed: list[str]) -> tuple[str, str]:
    """What to print of a page's two readings: the other fields that differ, else the text where it
    starts to differ."""
    fields = [FIELDS.index(f) for f in changed if f != "text"]
    if fields:
        return "; ".join(str(before[i]) for i in fields), "; ".join(str(after[i]) for i in fields)
    old, new = " ".join(before[0].split()), " ".join(after[0].split())
    at = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), min(len(old), len(new)))
    return old[max(0, at - 20) : at + 30], new[max(0, at - 20) : at + 30]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="HEAD", help="the version to compare this checkout with")
    parser.add_argument("--no-real", action="store_true", help="the generated pages only")
    args = parser.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory(prefix="sohoa-same-") as tmp:
        work = Path(tmp)
        tree = work / "base"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(tree), args.base], check=True
        )
        try:
            pdf, truth = make_batch([1, 2], work)
            real = None if args.no_real else REAL
            base = read_with(tree / "src", pdf, len(truth), real, work)
            here = read_with(ROOT / "src", pdf, len(truth), real, work)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)
    table = Table(title=f"pages read differently: {args.base} against this checkout")
    for column in ("page", "differs in", args.base, "this checkout"):
        table.add_column(column)
    same = 0
    for name, before in base["readings"].items():
        after = here["readings"][name]
        changed = [field for field, old, new in zip(FIELDS, before, after, strict=True) if old != new]
        if not changed:
            same += 1
            continue
        old_text, new_text = _shown(before, after, changed)
        table.add_row(name, ", ".join(changed), old_text, new_text)
    if table.row_count:
        console.print(table)
    console.print(f"{same} of {len(base['readings'])} pages read the same")
    console.print(f"CPU s for the pages: {args.base} {base['cpu']:.2f}, this checkout {here['cpu']:.2f}")


if __name__ == "__main__":
    main()
