"""Memory of a long document (issue 23). A page's words travel from its reader to storage as a file, so
what the committing process holds does not grow with the page count by a page's words (about 0.5 MB of
objects for a full A4 page: ~250 MB at 500 pages when every page's were held until the commit). And a
page worker's own peak, paid once per worker whatever the page count: freed page arrays go back to the
system, and the grey page for Tesseract is made without 16-bit copies of the page.

Real Tesseract on small pages dense with Vietnamese text, so a page has words enough to be seen."""

from __future__ import annotations

import gc
import json
import pickle
import tracemalloc
from pathlib import Path

import cv2
import img2pdf
import numpy as np
import pytest
from PIL import Image, ImageDraw

from sohoa.ingest.executor import LocalProcessExecutor
from sohoa.ingest.pages import PageDone, PageTask, run_page, words_of
from sohoa.ingest.pipeline import IngestMeta, Progress, ingest_file
from sohoa.ingest.remote_pages import page_done, run_remote, task_payload
from sohoa.ocr import cleanup
from sohoa.ocr.pipeline import OcrOptions
from sohoa.records.models import PageAnalysis, Word
from sohoa.records.words import words_json
from sohoa.samples.scangen import load_font, make_page
from sohoa.samples.texts import sample_texts
from sohoa.search.sqlite import SqliteIndex
from sohoa.storage.base import ObjectStore
from sohoa.storage.filesystem import FilesystemStore

PAGES = 10
LINES = 8


def _dense_pages(folder: Path, count: int) -> list[Path]:
    """Strips of a page, 1500 px wide at 300 dpi, full of 11-word lines of real Vietnamese text."""
    texts = [t for t in sample_texts() if len(t) > 60]
    font = load_font("regular", 34)
    out = []
    for n in range(count):
        image = Image.new("RGB", (1500, 60 + 48 * LINES), "white")
        draw = ImageDraw.Draw(image)
        words = " ".join(texts[(n * 7 + k) % len(texts)] for k in range(8)).split()
        for i in range(LINES):
            draw.text((40, 30 + 48 * i), " ".join(words[i * 11 : (i + 1) * 11]), font=font, fill="black")
        jpeg = folder / f"{n}.jpg"
        image.save(jpeg, quality=92, dpi=(300, 300))
        out.append(jpeg)
    return out


@pytest.fixture(scope="module")
def dense_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("dense")
    path = folder / "dense.pdf"
    path.write_bytes(img2pdf.convert([str(p) for p in _dense_pages(folder, PAGES)]))
    return path


def test_what_the_commit_holds_does_not_grow_with_pages_by_their_words(
    dense_pdf: Path, tmp_path: Path
) -> None:
    """Memory held in the committing process after each page is read (Python objects, garbage collected),
    from the second page to the last: it grows by what a page's record needs (its text, a few numbers),
    not by its words, which wait in their file."""
    held: dict[int, int] = {}

    def after_page(p: Progress) -> None:
        gc.collect()
        held[p.pages_done] = tracemalloc.get_traced_memory()[0]

    store = FilesystemStore(tmp_path / "store")
    tracemalloc.start()
    try:
        outcome = ingest_file(
            dense_pdf,
            store=store,
            index=SqliteIndex(tmp_path / "index.db"),
            meta=IngestMeta(name="dense.pdf"),
            progress=after_page,
        )
    finally:
        tracemalloc.stop()
    pages = outcome.document.pages
    assert len(pages) == PAGES
    words = [len(_stored_words(store, p.words_key)) for p in pages]
    assert min(words) > 60, words  # pages dense enough that holding their words would show
    per_page = (held[PAGES] - held[2]) / (PAGES - 2)
    text = max(len(p.text.encode()) for p in pages)
    # Holding every page's words costs ~1.2 KB a word (~100 KB a page here); a page's summary, a few KB.
    assert per_page < 4 * text + 8_000, (
        f"{per_page:.0f} bytes held per page read (text {text}), words {words}"
    )


def _stored_words(store: ObjectStore, key: str) -> list[Word]:
    return [Word.model_validate(w) for w in json.loads(store.get_bytes(key))]


def test_a_page_read_hands_back_its_words_in_a_file_not_in_what_crosses_processes(
    dense_pdf: Path, tmp_path: Path
) -> None:
    """What a worker returns (pickled by the process pool) is small; the words are in its scratch
    directory, encoded as storage keeps them."""
    done = run_page(PageTask(str(dense_pdf), "application/pdf", 1, 300, str(tmp_path), OcrOptions()))
    words = words_of(done)
    assert len(words) > 60
    assert Path(done.words_path).parent == tmp_path
    assert Path(done.words_path).read_bytes() == words_json(words)
    carried = len(pickle.dumps(done))
    as_read = len(pickle.dumps(PageAnalysis(**done.summary.model_dump(), words=words)))
    assert carried < len(done.summary.text.encode()) + 1_000, (carried, as_read)
    assert carried < as_read / 3, (carried, as_read)  # the words take most of a page read, even pickled


def test_a_page_read_on_another_machine_comes_back_with_its_words_file(
    store: ObjectStore, dense_pdf: Path, tmp_path: Path
) -> None:
    """A Celery worker's side and the sender's (the functions they run, on a real store): the words travel
    as a work file and land in the sender's scratch directory as the local pool leaves them."""
    source = "work/t/source-1.pdf"
    store.put_file(source, dense_pdf, content_type="application/pdf")
    scratch = tmp_path / "sender"
    scratch.mkdir()
    task = PageTask(str(dense_pdf), "application/pdf", 2, 300, str(scratch), OcrOptions())
    answer = run_remote(store, "run_page", task_payload(task, source), "work/t", tmp_path / "cache")
    assert "words" not in json.loads(store.get_bytes(answer["page"]["summary"]))
    done = page_done(store, answer, task)
    assert isinstance(done, PageDone)
    assert Path(done.words_path).parent == scratch
    assert len(words_of(done)) > 60
    assert done.summary.text.split()[:3] == [w.text for w in words_of(done)][:3]


def test_the_answer_of_a_worker_older_than_words_files_is_still_taken(
    store: ObjectStore, tmp_path: Path
) -> None:
    """During an upgrade a worker may still answer with the page's whole analysis, words included."""
    word = Word(text="Quyết", left=10, top=20, width=90, height=30, confidence=91.5)
    analysis = PageAnalysis(text="Quyết", mean_confidence=91.5, words=[word], width=1500, height=500)
    for name, data in (("1.jpg", b"jpeg"), ("1.text.pdf", b"pdf"), ("1.json", analysis.model_dump_json())):
        store.put_bytes(f"work/old/{name}", data.encode() if isinstance(data, str) else data)
    old = {"image": "work/old/1.jpg", "text": "work/old/1.text.pdf", "analysis": "work/old/1.json"}
    task = PageTask("", "application/pdf", 1, 300, str(tmp_path), OcrOptions())
    done = page_done(store, {"number": 1, "page": {"number": 1, "engine": "tesseract", **old}}, task)
    assert isinstance(done, PageDone)
    assert words_of(done) == [word]
    assert done.summary.text == "Quyết" and done.summary.width == 1500


def _held_after_a_page_s_arrays(_: object) -> int:
    """MiB still resident after a page-sized array is freed, in the process that runs this."""

    def resident() -> int:
        return int(Path("/proc/self/status").read_text().split("VmRSS:")[1].split()[0]) // 1024

    first = np.full(26 << 20, 1, np.uint8)  # a page at 300 dpi; freeing it is what moved glibc's threshold
    del first
    before = resident()
    second = np.full(20 << 20, 1, np.uint8)
    after = [np.full(64 << 10, 1, np.uint8) for _ in range(4)]  # smaller blocks made after it
    del second
    held = resident() - before
    del after
    return held


def test_a_page_worker_gives_a_page_s_arrays_back_to_the_system() -> None:
    """In a worker of the local pool, a page's arrays go back to the system when freed (ingest.heap): kept
    on the heap, they held a worker at ~270 MB resident while Tesseract read its page with ~70 MB in use."""
    executor = LocalProcessExecutor(1)
    try:
        (held,) = executor.map_unordered(_held_after_a_page_s_arrays, [0])
    finally:
        executor.close()
    assert held < 5, f"{held} MiB of a freed 20 MiB array still resident"


def test_the_grey_page_for_tesseract_is_made_without_16_bit_copies_of_the_page() -> None:
    """ocr_gray (seals and signatures read away) was the top of a page worker's memory: three 16-bit copies
    of the page's channels (3.3 times the page at its peak). From the 8-bit channels, the same grey."""
    page = cv2.cvtColor(np.array(make_page(seed=3, lines=20).image.convert("RGB")), cv2.COLOR_RGB2BGR)
    cv2.circle(page, (1800, 3000), 250, (40, 40, 210), 12)  # a red seal
    cv2.line(page, (1500, 3100), (2200, 2950), (200, 60, 30), 6)  # a blue signature
    tracemalloc.start()
    try:
        gray = cleanup.ocr_gray(page)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2.75 * page.nbytes, f"peak {peak / page.nbytes:.2f} times the page"
    b, g, r = (c.astype(np.int16) for c in cv2.split(page))
    ink = ((r - g > 70) & (r > 120)) | ((b - r > 60) & (b > 100))
    expected = np.maximum(r, b).astype(np.uint8)
    fringe = cv2.dilate(ink.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    expected[fringe & (expected > 60)] = int(np.percentile(expected[::8, ::8], 90))
    assert np.array_equal(gray, expected)
