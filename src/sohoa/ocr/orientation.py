"""Which way up a page is, decided in one place, from the cheapest evidence that settles it:

1. what a person at the scan station said (OcrOptions.rotate);
2. the shape of the text lines on the ~100-dpi ink image the pipeline already has, without Tesseract;
3. Tesseract's orientation detection (OSD) on a copy of at least 150 dpi, checked by a quick OCR of a strip
   in each orientation when OSD is unsure;
4. after the page is read: a page read with little confidence may be the wrong way round after all, so the
   quick OCR is asked, and a reading the other way is kept if it reads with more confidence.

The text lines settle most pages. Two facts of printed Vietnamese do it:

- Lines of text run along one axis. Projected across that axis, the ink makes sharp peaks and gaps; projected
  along it, a blur. So the page is upright or upside down (0/180), or on its side (90/270).
- Within a line, more ink sits above the band of lower-case letters than below it: ascenders (b d h k l t),
  capitals, and the marks of Vietnamese (sắc, huyền, hỏi, ngã, the circumflex, the horns) against a few
  descenders (g p q y) and the dot of nặng. Each line votes up or down; a page turned 180° votes the other
  way.

When the votes are not clear (a few lines only, as on a sparse page) the lines give no answer and OSD
decides. On the generated counter scans (10 seeds × 13 kinds × 4 turns) the lines answered 488 of 520 pages,
all correctly; the 32 they left were the one-line sparse pages. With the text shipped in the package (no
shared samples), 142 of 156 (3 seeds), none wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol, TypeVar

import cv2
import numpy as np

from sohoa.ocr import cleanup, tesseract

# OSD's orientation confidence above which its answer is taken without a second look. Measured on the
# generated pages at 150 dpi: right answers scored 12-19. At 100 dpi OSD was wrong with confidence up to 6.9,
# so it always gets a copy of at least 150 dpi.
OSD_SURE = 3.0
OSD_DPI = 150
# Mean word confidence below which the orientation is re-checked by OCR: right-side-up pages of any quality
# measured here scored above 70; a page read sideways or upside down scores 20-50.
SUSPICIOUS_CONFIDENCE = 60.0


@dataclass(frozen=True, slots=True)
class Orientation:
    rotate: int  # clockwise degrees to apply
    sure: bool
    # Found by the machine (lines or OSD), not said by a person or left alone: a page it gives a poor reading
    # is looked at again.
    by_machine: bool = False


@dataclass(frozen=True)
class OsdCopy:
    """The grey page at about OSD_DPI, paper only, that OSD and the quick OCR look at. Made when first asked
    for: the text lines settle most pages without it (a greying and a shrink of the whole page, 8 ms at
    300 dpi)."""

    image: np.ndarray  # the page at full resolution
    inner: np.ndarray  # the small copy's sheet mask, pulled in past its edge shadow
    page_dpi: int

    @property
    def _factor(self) -> int:
        return max(1, round(self.page_dpi / OSD_DPI))

    @property
    def dpi(self) -> int:
        return max(1, self.page_dpi // self._factor)

    @cached_property
    def gray(self) -> np.ndarray:
        gray = cleanup.shrink(cleanup.to_gray(self.image), self._factor)
        return np.where(cv2.resize(self.inner, gray.shape[::-1]) > 0, gray, 255).astype(np.uint8)


def first_look(
    osd: OsdCopy,
    small_colour: np.ndarray,
    inner: np.ndarray,
    scores: cleanup.LineScores,
    *,
    given: int | None,
    orient: bool,
    lines: bool,
    lang: str,
) -> Orientation:
    """The orientation to read the page in: a person's word (`given`), else none when `orient` is off, else
    the text lines (when `lines`), else OSD. `small_colour` is the ~100-dpi copy, `inner` its sheet mask,
    `scores` the line scores of its grey copy's ink within the mask (cleanup.ink)."""
    if given is not None:
        return Orientation(given % 360, sure=True)
    if not orient:
        return Orientation(0, sure=True)
    if lines:
        # Seals and signatures are left out: their round and slanted strokes would blur the votes. Most pages
        # carry none, and their grey copy's ink is the same without them.
        if cleanup.coloured_ink(small_colour) is not None:
            paper_only = np.where(inner > 0, cleanup.ocr_gray(small_colour), 255).astype(np.uint8)
            scores = cleanup.LineScores(cv2.bitwise_and(cleanup.ink(paper_only), inner))
        turn = by_lines(scores)
        if turn is not None:
            return Orientation(turn, sure=True, by_machine=True)
    return by_osd(osd, lang)


class Reading(Protocol):
    mean_conf: float


R = TypeVar("R", bound=Reading)


def read_upright(read: Callable[[int], R], first: Orientation, osd: OsdCopy, lang: str) -> tuple[R, bool]:
    """`read` the page turned as `first` says; when the machine chose and the reading is poor, ask the text
    itself (a quick OCR each way) and keep a reading the other way if it reads better. Returns the reading
    kept and whether its orientation is sure."""
    page = read(first.rotate)
    sure = first.sure
    if first.by_machine and page.mean_conf < SUSPICIOUS_CONFIDENCE:
        winner = clear_winner(by_ocr(osd, lang))
        if winner is not None and winner != first.rotate:
            retry = read(winner)
            if retry.mean_conf > page.mean_conf:
                page = retry
        sure = sure and winner is not None
    return page, sure


def by_ocr(osd: OsdCopy, lang: str) -> dict[int, float]:
    """Score each orientation by a quick OCR of a strip: mean confidence times words (capped)."""
    scores = {}
    for rotate in (0, 90, 180, 270):
        turned = cleanup.rotate_right_angle(osd.gray, rotate)
        h = turned.shape[0]
        # A third of the page from where the ink starts: the header and first lines, or the only line.
        inked = np.flatnonzero((turned < 128).sum(axis=1) > 2)
        top = max(0, int(inked[0]) - 10) if inked.size else 0
        strip = turned[top : top + max(h // 3, 50)]
        conf, words = tesseract.quick_confidence(strip, osd.dpi, lang=lang)
        scores[rotate] = conf * min(words, 30)
    return scores


def clear_winner(scores: dict[int, float]) -> int | None:
    best, second = sorted(scores, key=scores.__getitem__, reverse=True)[:2]
    return best if scores[best] > 0 and scores[best] >= 1.5 * scores[second] else None


def by_osd(osd: OsdCopy, lang: str) -> Orientation:
    """OSD on the ~150-dpi copy; when it is unsure, compare a quick OCR in each orientation."""
    found = tesseract.detect_orientation(osd.gray, osd.dpi)
    if found is not None and found.confidence >= OSD_SURE:
        return Orientation(found.rotate, sure=True, by_machine=True)
    scores = by_ocr(osd, lang)
    winner = clear_winner(scores)
    if winner is not None:
        return Orientation(winner, sure=True, by_machine=True)
    fallback = found.rotate if found is not None else max(scores, key=scores.__getitem__)
    return Orientation(fallback, sure=False, by_machine=True)


# The text lines' evidence: pure geometry on the small ink image.

# Tested on the generated scans: the axis ratio was 2.3 at least, around 15 on most pages.
_AXIS_RATIO = 1.6
# A page is settled by at least this many lines voting its way, and twice the votes against plus two.
_MIN_VOTES = 4
# A line votes when the ink on one side of its letter band outweighs the other side by this much.
_SIDE_MARGIN = 1.3
_MIN_LINE_ROWS = 4


def _best_angle(score: cleanup.LineScores, angles: np.ndarray) -> tuple[float, float]:
    scores = [score(float(a)) for a in angles]
    best = int(np.argmax(scores))
    return float(angles[best]), scores[best]


_COARSE = np.arange(-10.0, 10.01, 1.0)


def line_axis(lines: cleanup.LineScores) -> tuple[bool, float, float]:
    """(lines run across the image, how much sharper that axis is than the other, the coarse angle of
    the lines across)."""
    angle, across = _best_angle(lines, _COARSE)
    _, down = _best_angle(cleanup.LineScores(np.ascontiguousarray(lines.ink.T)), _COARSE)
    low = max(min(across, down), 1.0)
    return across >= down, max(across, down) / low, angle


def side_votes(lines: cleanup.LineScores, coarse: float | None = None) -> tuple[int, int]:
    """(lines with more ink above their letter band, lines with more below), for lines running across;
    `coarse` is their angle to the degree when already known (line_axis finds it)."""
    if coarse is None:
        coarse, _ = _best_angle(lines, _COARSE)
    angle, _ = _best_angle(lines, np.arange(coarse - 1.0, coarse + 1.01, 0.25))
    profile = np.count_nonzero(cleanup.turn_ink(lines.ink, angle), axis=1).astype(np.float64)
    if not profile.any():
        return 0, 0
    inked = profile > max(2.0, 0.03 * profile.max())
    up = down = 0
    y, n = 0, len(profile)
    while y < n:
        if not inked[y]:
            y += 1
            continue
        start = y
        while y < n and inked[y]:
            y += 1
        band = profile[start:y]
        if len(band) < _MIN_LINE_ROWS:
            continue  # a table rule or a speck, not a line of letters
        core = np.flatnonzero(band >= 0.5 * band.max())
        above, below = band[: core[0]].sum(), band[core[-1] + 1 :].sum()
        if above > _SIDE_MARGIN * below:
            up += 1
        elif below > _SIDE_MARGIN * above:
            down += 1
    return up, down


def _clear(votes_for: int, votes_against: int) -> bool:
    return votes_for >= _MIN_VOTES and votes_for >= 2 * votes_against + 2


def by_lines(ink: np.ndarray | cleanup.LineScores) -> int | None:
    """Clockwise degrees that put the page upright (0, 90, 180, 270), or None when the lines do not tell.

    `ink` is the binary ink (255) of a small copy of the page, with coloured seals and signatures left out:
    their round and slanted strokes carry no line structure and would blur the votes.
    """
    scores = cleanup.line_scores(ink)
    across, ratio, coarse = line_axis(scores)
    if ratio < _AXIS_RATIO:
        return None
    # On its side, turn the ink a quarter clockwise first: a page whose top faces left then stands upright.
    lines = scores if across else cleanup.LineScores(cv2.rotate(scores.ink, cv2.ROTATE_90_CLOCKWISE))
    # Upright or upside down, the lines' angle is already known: the search is not made twice.
    up, down = side_votes(lines, coarse if across else None)
    if _clear(up, down):
        return 0 if across else 90
    if _clear(down, up):
        return 180 if across else 270
    return None
