"""Printed text the page's one recognition left unread, read again on its own: a signer's title and name
under a seal and a signature, a line the layout analysis took for part of a picture.

Tesseract's layout analysis takes a block where a seal or a signature crosses printed lines for an image and
does not read it. On the real scans (tests/data/real_scans) that cost the signature block of most letters:
"KT. CHỦ TỊCH / PHÓ CHỦ TỊCH / Trần Hoàng Tuấn" was missing from 8 of the 15 pages. Here the ink that no
well-read word covers is gathered into regions, each region is cut out and read with sparse-text
segmentation (psm 11, which looks for words among graphics), and a word read there is kept when Tesseract is
sure of it (KEEP_CONFIDENCE) and it is a word of the language: a valid syllable, a number, or an
abbreviation of the administrative word list. What a seal's ring or a signature's stroke reads as ("mẽ",
"`") is neither, and is dropped.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import cv2
import numpy as np

from sohoa.ocr import syllables
from sohoa.ocr.rescore import ADMIN
from sohoa.records.models import Word

# A word read with this confidence covers its ink; under it, the ink counts as unread.
COVERED_CONFIDENCE = 50.0
KEEP_CONFIDENCE = 70.0
# Regions are looked for only when the unread ink is a small part of the page: a page that is mostly
# picture (a photo, a map) is not printed text Tesseract missed.
_MAX_SHARE = 0.25
_MAX_REGIONS = 6
_HALVED_FROM = 250  # dpi
_EDGES = ".,;:!?()[]\"'“”/-"

Reader = Callable[[np.ndarray], list[Word]]


def _ink(gray: np.ndarray) -> np.ndarray:
    _, ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return ink


def regions(gray: np.ndarray, words: Sequence[Word], dpi: int) -> list[tuple[int, int, int, int]]:
    """Boxes (x0, y0, x1, y1) of the page's text-like ink that no well-read word covers, inside the page."""
    height, width = gray.shape
    # Looked for at half the resolution on a fine page: a line's smear is as plain at 150 dpi, for half the
    # time (0.45 against 0.89 s on the 15 real scans), and the real scans' recall rose by 3 words of 5,420.
    f = 2 if dpi >= _HALVED_FROM else 1
    if f > 1:
        gray = cv2.resize(gray, (width // f, height // f), interpolation=cv2.INTER_AREA)
        dpi //= f
    ink = _ink(gray)
    for w in words:
        if w.confidence >= COVERED_CONFIDENCE:
            pad = max(2, w.height // 3)
            x0, y0 = max(0, w.left - pad) // f, max(0, w.top - pad) // f
            ink[y0 : (w.top + w.height + pad) // f + 1, x0 : (w.left + w.width + pad) // f + 1] = 0
    # Letters of a line smeared into one blob; specks and rules are too small or too flat to be a line.
    smear = cv2.morphologyEx(
        ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (max(3, dpi // 8), max(3, dpi // 40)))
    )
    count, _, stats, _ = cv2.connectedComponentsWithStats(smear, connectivity=8)
    low, high = dpi * 0.08, dpi * 2.5  # a line of 9-point capitals up to a seal
    boxes = []
    for x, y, w, h, area in stats[1:count].tolist():  # Python ints: they become word boxes
        if low <= h <= high and w >= low and area >= low * low * 2:
            pad = int(dpi * 0.1)
            boxes.append((max(0, x - pad), max(0, y - pad), x + w + pad, y + h + pad))
    boxes = _merged(boxes)
    page = gray.shape[0] * gray.shape[1]
    if not boxes or sum((x1 - x0) * (y1 - y0) for x0, y0, x1, y1 in boxes) > _MAX_SHARE * page:
        return []
    # Padded boxes may run past the page's edge: cut to it, or a region's pixels would not fill its band.
    inside = [(x0 * f, y0 * f, min(x1 * f, width), min(y1 * f, height)) for x0, y0, x1, y1 in boxes]
    return sorted(inside, key=lambda b: (b[1], b[0]))[:_MAX_REGIONS]


def _merged(boxes: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    boxes = list(boxes)
    changed = True
    while changed:
        changed = False
        for i, j in itertools.combinations(range(len(boxes)), 2):
            a, b = boxes[i], boxes[j]
            if a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]:
                boxes[i] = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
                del boxes[j]
                changed = True
                break
    return boxes


def _worth_keeping(word: Word) -> bool:
    core = word.text.strip(_EDGES)
    if word.confidence < KEEP_CONFIDENCE or not core:
        return False
    if core.replace(".", "").replace(",", "").replace("/", "").isdigit():
        return True
    if core.isupper() and len(core) > 1 and core.isalpha():
        return core in ADMIN or all(syllables.is_valid(p) for p in core.split())
    return syllables.is_valid(core)


def _overlaps(word: Word, kept: Sequence[Word]) -> bool:
    for k in kept:
        dx = min(word.left + word.width, k.left + k.width) - max(word.left, k.left)
        dy = min(word.top + word.height, k.top + k.height) - max(word.top, k.top)
        if dx > 0 and dy > 0 and dx * dy > 0.3 * word.width * word.height:
            return True
    return False


def read_unread(gray: np.ndarray, words: list[Word], dpi: int, read: Reader) -> list[Word]:
    """The page's words with those found in its unread regions added, in reading order (each new line
    placed among the page's lines by its height on the page), lines renumbered."""
    boxes = regions(gray, words, dpi)
    if not boxes:
        return words
    # The regions are stacked on one white sheet and read in one run: a run's fixed cost (starting
    # Tesseract, loading the model) is most of what reading a small region costs.
    gap = max(8, dpi // 6)
    width = max(x1 - x0 for x0, _, x1, _ in boxes)
    height = sum(y1 - y0 for _, y0, _, y1 in boxes) + gap * (len(boxes) + 1)
    sheet = np.full((height, width + 2 * gap), 255, dtype=np.uint8)
    bands: list[tuple[int, int, int, int]] = []  # (top on the sheet, bottom, x0, y0 on the page)
    y = gap
    for x0, y0, x1, y1 in boxes:
        sheet[y : y + y1 - y0, gap : gap + x1 - x0] = gray[y0:y1, x0:x1]
        bands.append((y, y + y1 - y0, x0 - gap, y0 - y))
        y += y1 - y0 + gap
    staying = [w for w in words if _stays(w)]
    found: list[Word] = []
    for w in read(sheet):
        middle = w.top + w.height // 2
        band = next((b for b in bands if b[0] <= middle < b[1]), None)
        if band is None:
            continue
        moved = w.model_copy(update={"left": w.left + band[2], "top": w.top + band[3]})
        if _worth_keeping(moved) and not _overlaps(moved, staying) and not _overlaps(moved, found):
            found.append(moved)
    if not found:
        return words
    # What the page's recognition read here without confidence (a seal's ring read as "@(", a signature
    # stroke as "SE") gives way to what was read here with it; a number or a code stays, which sparse
    # reading does not read better.
    kept = [w for w in words if _stays(w) or not _overlaps(w, found)]
    return _in_order(kept, found)


def _stays(word: Word) -> bool:
    return word.confidence >= COVERED_CONFIDENCE or any(c.isdigit() for c in word.text)


def _lines(words: Sequence[Word]) -> list[list[Word]]:
    return [list(group) for _, group in itertools.groupby(words, key=lambda w: w.line)]


def _in_order(words: list[Word], found: list[Word]) -> list[Word]:
    page = _lines(words)
    new = _lines(sorted(found, key=lambda w: (w.line, w.left)))
    for line in sorted(new, key=lambda ln: min(w.top for w in ln)):
        top = min(w.top for w in line)
        at = next((i for i, old in enumerate(page) if min(w.top for w in old) > top), len(page))
        page.insert(at, line)
    return [w.model_copy(update={"line": n}) for n, line in enumerate(page) for w in line]
