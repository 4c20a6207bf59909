"""Scan files from folders, and recognising files by content rather than by name."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import pytest

from corpus import huge_png
from sohoa.errors import EmptyFile, TooLarge, TooSlow, UnsupportedFile
from sohoa.ingest.sniff import Limits, inspect, media_type_of
from sohoa.samples import make_page, write_pdf
from sohoa.scanners import scan_files


def test_scan_files_takes_scans_from_folders_in_name_order(tmp_path: Path) -> None:
    for name in ["b.PDF", "a.png", "c.tiff", "notes.txt", "d.jpeg"]:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "sub").mkdir()
    single = tmp_path / "elsewhere.jpg"
    assert [p.name for p in scan_files([tmp_path, single])] == [
        "a.png",
        "b.PDF",
        "c.tiff",
        "d.jpeg",
        "elsewhere.jpg",
    ]


def test_type_comes_from_content_not_name(tmp_path: Path) -> None:
    page = make_page(seed=1, size="A5", lines=1).image
    lying = tmp_path / "scan.pdf"
    page.save(lying, "PNG")
    assert media_type_of(lying) == ("image/png", "png")
    pdf = tmp_path / "scan.png"
    write_pdf([page], pdf)
    assert media_type_of(pdf) == ("application/pdf", "pdf")
    assert inspect(pdf, Limits()).pages == 1


def test_limits(tmp_path: Path) -> None:
    pages = [make_page(seed=s, size="A5", lines=1).image for s in range(3)]
    write_pdf(pages, tmp_path / "three.pdf")
    with pytest.raises(TooLarge, match="3 pages"):
        inspect(tmp_path / "three.pdf", Limits(max_pages=2))
    # An A5 page at 300 dpi is 4.3 MP: within 1 MP it is read at 143 dpi, within 0.4 MP it would be 91 dpi.
    assert inspect(tmp_path / "three.pdf", Limits(max_pixels=1_000_000)).page_dpi == (143,) * 3
    with pytest.raises(TooLarge):
        inspect(tmp_path / "three.pdf", Limits(max_pixels=400_000))
    with pytest.raises(TooLarge):
        inspect(huge_png(tmp_path / "bomb.png", 20_000, 20_000), Limits())


def test_empty_and_unknown(tmp_path: Path) -> None:
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(EmptyFile):
        media_type_of(tmp_path / "empty.png")
    (tmp_path / "doc.docx").write_bytes(b"PK\x03\x04 a word document")
    with pytest.raises(UnsupportedFile):
        media_type_of(tmp_path / "doc.docx")


def test_scan_pdfs_are_rasterized_at_their_own_resolution(tmp_path: Path) -> None:
    pages = [make_page(seed=s, size="A5", lines=1, dpi=dpi).image for s, dpi in ((1, 200), (2, 200))]
    write_pdf(pages, tmp_path / "200.pdf", dpi=200)
    assert inspect(tmp_path / "200.pdf", Limits()).page_dpi == (200, 200)
    write_pdf(pages[:1], tmp_path / "as-300.pdf", dpi=300)  # the same pixels placed smaller: 300 dpi
    assert inspect(tmp_path / "as-300.pdf", Limits()).page_dpi == (300,)


def test_parsing_has_a_time_budget_and_leaves_no_process_behind(tmp_path: Path) -> None:
    pages = [make_page(seed=s, size="A5", lines=1).image for s in range(2)]
    write_pdf(pages * 100, tmp_path / "long.pdf")
    started = time.monotonic()
    assert inspect(tmp_path / "long.pdf", Limits()).pages == 200
    took = time.monotonic() - started
    # A budget far below what the parse needs: refused, and the parser is killed, not left running.
    with pytest.raises(TooSlow, match="took over"):
        inspect(tmp_path / "long.pdf", Limits(parse_seconds=min(took / 100, 0.001)))
    assert multiprocessing.active_children() == []
