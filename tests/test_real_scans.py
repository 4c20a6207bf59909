"""The real-scan set (tests/data/real_scans) is whole, and sohoa reads one of its pages."""

from __future__ import annotations

import unicodedata
from collections import Counter
from pathlib import Path

from sohoa.ingest import IngestMeta, ingest_file
from sohoa.search.sqlite import SqliteIndex
from sohoa.storage import FilesystemStore

SET = Path(__file__).parent / "data" / "real_scans"
IMAGES = sorted(p for p in SET.iterdir() if p.suffix in (".jpg", ".png"))


def _words(text: str) -> list[str]:
    out = (w.strip("\"'“”()[].,;:!?/-").lower() for w in text.split())
    return [w for w in out if w]


def test_every_page_has_its_truth_and_its_source() -> None:
    sources = (SET / "SOURCES.md").read_text(encoding="utf-8")
    assert len(IMAGES) >= 3
    for image in IMAGES:
        truth = image.with_suffix(".txt")
        assert truth.exists(), f"{image.name} has no truth"
        text = truth.read_text(encoding="utf-8")
        assert text.strip(), f"{truth.name} is empty"
        assert unicodedata.normalize("NFC", text) == text, f"{truth.name} is not NFC"
        assert f"| {image.name} |" in sources, f"{image.name} has no line in SOURCES.md"


def test_no_truth_without_its_page() -> None:
    for truth in SET.glob("*.txt"):
        assert any(truth.with_suffix(s).exists() for s in (".jpg", ".png")), f"{truth.name} has no image"


def test_sohoa_reads_a_real_page(tmp_path: Path) -> None:
    # A 200-dpi 1-bit scan with a seal and a signature: small, so the OCR stays quick.
    image = SET / "vietadmin-1-p2.png"
    outcome = ingest_file(
        image,
        store=FilesystemStore(tmp_path / "store"),
        index=SqliteIndex(tmp_path / "index.sqlite3"),
        meta=IngestMeta(name=image.name),
    )
    reading = Counter(_words(" ".join(page.text for page in outcome.document.pages)))
    truth = Counter(_words(image.with_suffix(".txt").read_text(encoding="utf-8")))
    found = sum(min(n, reading[w]) for w, n in truth.items())
    assert found / sum(truth.values()) >= 0.90
