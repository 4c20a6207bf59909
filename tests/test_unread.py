"""Printed text the page's recognition left unread (issue 23, ocr.unread): the ink no well-read word covers
is found and read again; a real scan's signature block under a seal is read with it and not without it."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from sohoa.ocr import unread
from sohoa.ocr.pipeline import OcrOptions, process_page
from sohoa.ocr.rasterize import load_image
from sohoa.records.models import Word

REAL = Path(__file__).parent / "data" / "real_scans"


def _page_with_two_lines() -> tuple[np.ndarray, list[Word]]:
    page = np.full((1200, 1000), 255, dtype=np.uint8)
    (width, height), _ = cv2.getTextSize("CHU TICH", cv2.FONT_HERSHEY_SIMPLEX, 2.0, 5)
    for baseline in (200, 700):
        cv2.putText(page, "CHU TICH", (100, baseline), cv2.FONT_HERSHEY_SIMPLEX, 2.0, 0, 5)
    read = Word(
        text="CHU TICH", left=98, top=198 - height, width=width + 4, height=height + 4, confidence=95, line=0
    )
    return page, [read]


def test_ink_no_word_covers_is_a_region_and_read_ink_is_not() -> None:
    page, words = _page_with_two_lines()
    boxes = unread.regions(page, words, dpi=300)
    assert len(boxes) == 1
    x0, y0, x1, y1 = boxes[0]
    assert y0 < 660 and y1 > 700 and x0 <= 100 and x1 >= 100 + words[0].width - 4  # the second line, whole
    # A word read with little confidence does not cover its ink.
    unsure = [words[0].model_copy(update={"confidence": 20.0})]
    assert len(unread.regions(page, unsure, dpi=300)) == 2


def test_a_page_that_is_mostly_picture_has_no_regions() -> None:
    photo = np.random.default_rng(1).integers(0, 255, (1200, 1000), dtype=np.uint8)
    assert unread.regions(photo, [], dpi=300) == []


def test_words_read_in_a_region_join_the_page_in_reading_order() -> None:
    page, words = _page_with_two_lines()
    after = Word(text="Nơi", left=100, top=1000, width=100, height=40, confidence=95, line=1)

    def read(sheet: np.ndarray) -> list[Word]:
        # Whatever the reader is given, it finds the second line where the sheet holds it, and a scrawl.
        ys = np.where(sheet.min(axis=1) < 128)[0]
        top = int(ys.min())
        return [
            Word(text="CHỦ", left=30, top=top, width=150, height=50, confidence=93, line=0),
            Word(text="TỊCH", left=200, top=top, width=200, height=50, confidence=92, line=0),
            Word(text="mẽ", left=420, top=top, width=40, height=50, confidence=40, line=0),
        ]

    out = unread.read_unread(page, [*words, after], 300, read)
    assert [w.text for w in out] == ["CHU TICH", "CHỦ", "TỊCH", "Nơi"]
    assert [w.line for w in out] == [0, 1, 1, 2]
    assert 600 < out[1].top < 700  # placed back on the page where the ink is
    assert all(type(w.left) is int and type(w.top) is int for w in out)  # a record's JSON takes them


def test_a_signature_block_under_a_seal_is_read() -> None:
    # A real 300-dpi greyscale scan: the seal crosses "PHÓ CHỦ TỊCH" and the signature the name; the
    # page's layout analysis takes the block for a picture.
    image, dpi = load_image(REAL / "quangngai-ef7016ea-p1.jpg")
    without = process_page(image, dpi=dpi, options=OcrOptions(read_unread=False)).analysis.text
    with_it = process_page(image, dpi=dpi).analysis.text
    assert "Hoàng" not in without.split()
    assert "Hoàng" in with_it.split()
    assert with_it.split().count("TỊCH") > without.split().count("TỊCH")


def test_what_was_read_without_confidence_gives_way_but_a_number_stays() -> None:
    # The page's recognition read the second line's ink as a seal's ring would read ("@(", 30): unsure, it
    # leaves the ink unread, and the sparse reading's "CHỦ TỊCH" takes its place. A code read unsure stays,
    # and what the sparse reading finds over it is dropped: sparse reading does not read codes better.
    page, words = _page_with_two_lines()
    garbage = Word(text="@(", left=100, top=650, width=300, height=50, confidence=30, line=1)
    code = Word(text="728/QĐ-UBND", left=450, top=650, width=300, height=50, confidence=30, line=1)

    def read(sheet: np.ndarray) -> list[Word]:
        top = int(np.where(sheet.min(axis=1) < 128)[0].min())
        return [
            Word(text="CHỦ", left=30, top=top, width=150, height=50, confidence=93, line=0),
            Word(text="TỊCH", left=200, top=top, width=200, height=50, confidence=92, line=0),
            Word(text="UBND", left=450, top=top, width=300, height=50, confidence=90, line=0),
        ]

    out = unread.read_unread(page, [*words, garbage, code], 300, read)
    texts = [w.text for w in out]
    assert "@(" not in texts and {"CHỦ", "TỊCH", "728/QĐ-UBND"} <= set(texts) and "UBND" not in texts


def test_ink_at_the_page_edge_is_a_region_inside_the_page_and_is_read() -> None:
    # A signer's name printed to the sheet's bottom right corner: the region's padding would run off the page.
    page = np.full((1200, 1000), 255, dtype=np.uint8)
    cv2.putText(page, "TRAN VAN AN", (560, 1190), cv2.FONT_HERSHEY_SIMPLEX, 1.5, 0, 4)
    boxes = unread.regions(page, [], dpi=300)
    assert len(boxes) == 1
    x0, y0, x1, y1 = boxes[0]
    assert 0 <= x0 < x1 <= 1000 and 0 <= y0 < y1 <= 1200 and y1 == 1200
    seen: list[np.ndarray] = []

    def read(sheet: np.ndarray) -> list[Word]:
        seen.append(sheet)
        return []

    assert unread.read_unread(page, [], 300, read) == []
    assert len(seen) == 1
