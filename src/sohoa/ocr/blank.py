"""The blank-page verdict: is there anything printed or written on this page?

Duplex scanning brings the blank backs of one-sided sheets: paper grain, dust specks and a faint mirror image
of the front showing through. None of that is ink against the local background with the size of a letter.
One short printed line is.
"""

from __future__ import annotations

import cv2
import numpy as np

# At the ~75-dpi analysis scale a 10-pt letter is about 6-12 px tall; specks are 1-2 px.
_MIN_GLYPH_AREA = 6
_MIN_GLYPH_HEIGHT = 4
_MIN_GLYPHS = 5


def glyph_count(ink_small: np.ndarray) -> int:
    """Connected ink blobs the size of letters."""
    _count, _, stats, _ = cv2.connectedComponentsWithStats(ink_small, connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA]
    heights = stats[1:, cv2.CC_STAT_HEIGHT]
    return int(np.count_nonzero((areas >= _MIN_GLYPH_AREA) & (heights >= _MIN_GLYPH_HEIGHT)))


def is_blank(ink_small: np.ndarray) -> tuple[bool, bool]:
    """(blank, unsure): unsure when the count of letter-sized blobs sits right at the threshold."""
    glyphs = glyph_count(ink_small)
    return glyphs < _MIN_GLYPHS, _MIN_GLYPHS <= glyphs < 2 * _MIN_GLYPHS
