"""How the OCR benchmarks run sohoa: `ingest_file` on each file, one 2-process page pool for them all, in a
process of its own started as `python -c`, as `sohoa ingest` would run.

Not in the benchmark's own process: page workers are spawned, and a spawned process (and the file checks'
forkserver) loads its parent's main script, so sohoa run from the benchmark's process was charged for
loading the benchmark (its page generator, rich, img2pdf...): about 0.6 s of CPU for each worker and for
the forkserver, and the workers' start in the wall time. OCRmyPDF is run as its own process too.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

# argv: OcrOptions fields as JSON, the work folder (store, index, searchable PDFs), the report's path, the
# files. The report holds each file's page texts and wall seconds.
_CHILD = """
import json, sys, time
from pathlib import Path
from sohoa.ingest import IngestMeta, ingest_file
from sohoa.ingest.executor import LocalProcessExecutor
from sohoa.ocr.options import OcrOptions
from sohoa.search.sqlite import SqliteIndex
from sohoa.storage import FilesystemStore

options, work, report, *files = sys.argv[1:]
work = Path(work)
store, index = FilesystemStore(work / "store"), SqliteIndex(work / "index.sqlite3")
executor = LocalProcessExecutor(2)
pages, walls = [], []
try:
    for path in map(Path, files):
        start = time.perf_counter()
        outcome = ingest_file(
            path, store=store, index=index, meta=IngestMeta(name=path.name), executor=executor,
            options=OcrOptions(**json.loads(options)),
        )
        walls.append(time.perf_counter() - start)
        pages.append([page.text for page in outcome.document.pages])
        store.download(outcome.document.searchable_pdf_key or "", work / f"{path.stem}.pdf")
finally:
    executor.close()  # the workers are reaped here, so their CPU time is counted as this process's children's
Path(report).write_text(json.dumps({"pages": pages, "walls": walls}), encoding="utf-8")
"""


@dataclass
class SohoaRun:
    pages: list[list[str]]  # each file's pages' text
    walls: list[float]  # each file's wall seconds, in the child
    wall: float  # the whole run, the child's start included
    cpu: float  # the child's and its descendants' CPU seconds


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def ingest_in_child(files: list[Path], work: Path, options: dict[str, object] | None = None) -> SohoaRun:
    """`files` ingested into a new store and index under `work` (their searchable PDFs left there as
    STEM.pdf), with `options` (OcrOptions fields) set and the defaults otherwise."""
    work.mkdir(parents=True, exist_ok=True)
    report = work / "report.json"
    args = [sys.executable, "-c", _CHILD, json.dumps(options or {}), str(work), str(report), *map(str, files)]
    cpu, start = _children_cpu(), time.perf_counter()
    subprocess.run(args, check=True)
    wall, cpu = time.perf_counter() - start, _children_cpu() - cpu
    done = json.loads(report.read_text(encoding="utf-8"))
    return SohoaRun(done["pages"], done["walls"], wall, cpu)
