"""Page cleanup with OpenCV, pure image geometry: find the sheet on the lid, turn it by right angles,
straighten it, crop it, and the grey image Tesseract reads. Which way is up is decided in ocr.orientation.

All estimates run on small copies of the page (about 100-150 dpi), and the full-resolution image is
transformed once at the end, so cleanup costs little next to recognition.
"""

from __future__ import annotations

import cv2
import numpy as np

MAX_SKEW = 10.0
MIN_SKEW = 0.1


def to_gray(image: np.ndarray) -> np.ndarray:
    return image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def ocr_gray(image: np.ndarray) -> np.ndarray:
    """The grey page Tesseract reads.

    Seals are red and signatures blue, pressed over the printed signer's block; Tesseract reads them as
    garbage or loses the print under them. In max(red, blue) both inks are as light as the paper while black
    print stays dark, so a page carrying enough coloured ink is read from that channel.
    """
    ink = coloured_ink(image)
    if ink is None:
        return to_gray(image)
    b, _, r = cv2.split(image)
    gray = cv2.max(r, b)
    # JPEG smears the ink's colour at its edges, leaving a grey fringe that Tesseract reads as a word: widen
    # the ink mask by a pixel and paint it as paper. Print under the ink is dark in every channel, not ink.
    fringe = cv2.dilate(ink.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    gray[fringe & (gray > 60)] = int(np.percentile(gray[::8, ::8], 90))
    return gray


def coloured_ink(image: np.ndarray) -> np.ndarray | None:
    """Where a page carries red or blue ink, or None when it carries too little to count (or is grey)."""
    if image.ndim == 2:
        return None
    # Most pages carry no seal: one pixel in sixteen tells, at a sixteenth of the cost (a 300-dpi page's
    # full test took 0.15 s). Under half the share that counts, the page is surely without.
    sample = _coloured_ink(image[::4, ::4])
    if np.count_nonzero(sample) < 0.001 * sample.size:
        return None
    ink = _coloured_ink(image)
    return ink if np.count_nonzero(ink) >= 0.002 * ink.size else None


def _coloured_ink(image: np.ndarray) -> np.ndarray:
    """Where a BGR image holds red (seal) or blue (signature) ink. Saturating differences of the 8-bit
    channels (cv2.subtract) say "r - g > 70" as well as signed ones would, without three 16-bit copies of a
    300-dpi page (52 MB, most of a page worker's peak)."""
    b, g, r = cv2.split(image)
    return ((cv2.subtract(r, g) > 70) & (r > 120)) | ((cv2.subtract(b, r) > 60) & (b > 100))


def remove_rules(gray: np.ndarray) -> np.ndarray:
    """Paint out the ruling of bordered tables (receipt lists), which Tesseract reads as "|" and "_".

    A rule is a straight dark run longer than any glyph: 1/25 of the page width across, 1/40 of its height
    down (about 8 mm at A4), where the largest letter with its marks is under 6 mm.
    """
    binary = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)[1]
    h, w = gray.shape
    across = cv2.getStructuringElement(cv2.MORPH_RECT, (max(40, w // 25), 1))
    down = cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(40, h // 40)))
    # Each opening (an erosion, then a dilation) done by halves: on most pages nothing outlasts the
    # erosions, and the dilations, a third of the time, are not needed.
    across_cores, down_cores = cv2.erode(binary, across), cv2.erode(binary, down)
    if not (cv2.countNonZero(across_cores) or cv2.countNonZero(down_cores)):
        return gray
    rules = cv2.bitwise_or(cv2.dilate(across_cores, across), cv2.dilate(down_cores, down))
    rules = cv2.dilate(rules, np.ones((3, 3), np.uint8))
    return paint(gray.copy(), rules, int(np.percentile(gray[::8, ::8], 90)))


def paint(image: np.ndarray, where: np.ndarray, fill: int | tuple[int, int, int]) -> np.ndarray:
    """`image`, changed in place to `fill` wherever the 8-bit mask `where` is not 0.

    By OpenCV's masked saturating arithmetic (down to 0, then up by the fill), which takes half the time
    of numpy's boolean assignment on a 300-dpi page (15 against 34 ms, the copy included)."""
    colour = fill if isinstance(fill, tuple) else (fill,) * (image.shape[2] if image.ndim == 3 else 1)
    cv2.subtract(image, (255, 255, 255, 255), dst=image, mask=where)
    cv2.add(image, (*colour, *(0,) * (4 - len(colour))), dst=image, mask=where)
    return image


def shrink(gray: np.ndarray, factor: int) -> np.ndarray:
    if factor <= 1:
        return gray
    return cv2.resize(gray, (gray.shape[1] // factor, gray.shape[0] // factor), interpolation=cv2.INTER_AREA)


def paper_mask(gray: np.ndarray) -> np.ndarray:
    """Where the sheet is: the largest bright region, so a dark scanner lid around it can be cropped."""
    _, bright = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    # Close text and holes so the sheet is one region.
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (15, 15))
    closed = cv2.morphologyEx(bright, cv2.MORPH_CLOSE, kernel)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(closed, connectivity=8)
    if count <= 1:
        return np.full_like(gray, 255)
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    mask = np.where(labels == largest, 255, 0).astype(np.uint8)
    # A lid shows as a dark frame; without one the "largest bright region" is the whole page anyway.
    if np.count_nonzero(mask) < 0.3 * mask.size:
        return np.full_like(gray, 255)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    filled = np.zeros_like(mask)
    cv2.drawContours(filled, contours, -1, 255, thickness=cv2.FILLED)
    return filled


def ink(gray: np.ndarray) -> np.ndarray:
    """Binary image of text ink (255) on a small copy: dark against the local background."""
    background = cv2.medianBlur(gray, 31)
    diff = cv2.subtract(background, gray)
    _, out = cv2.threshold(diff, 40, 255, cv2.THRESH_BINARY)
    return out


class LineScores:
    """The line sharpness of one ink image at each angle asked, each angle turned once: on an upright page
    the orientation's look at the text lines and the skew's search ask for 23 of the same angles."""

    def __init__(self, ink_small: np.ndarray) -> None:
        self.ink = ink_small
        self._scores: dict[float, float] = {}

    def __call__(self, angle: float) -> float:
        score = self._scores.get(angle)
        if score is None:
            score = self._scores[angle] = line_sharpness(self.ink, angle)
        return score


def line_scores(ink: np.ndarray | LineScores) -> LineScores:
    return ink if isinstance(ink, LineScores) else LineScores(ink)


def estimate_skew(ink_small: np.ndarray | LineScores) -> float:
    """Skew in degrees (counter-clockwise positive) by the projection profile of text lines: the angle at
    which rows of ink are sharpest. Robust to noise, and free of minAreaRect's angle conventions."""
    score = line_scores(ink_small)
    if np.count_nonzero(score.ink) < 50:
        return 0.0
    best = max(np.arange(-MAX_SKEW, MAX_SKEW + 0.01, 0.5), key=score)
    fine = max(np.arange(best - 0.5, best + 0.51, 0.05), key=score)
    return round(float(fine), 2)


def turn_ink(ink_small: np.ndarray, angle: float) -> np.ndarray:
    """The ink turned by `angle` degrees (counter-clockwise positive) about its centre, same size."""
    h, w = ink_small.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), -angle, 1.0)
    return cv2.warpAffine(ink_small, m, (w, h), flags=cv2.INTER_NEAREST, borderValue=0)


def line_sharpness(ink_small: np.ndarray, angle: float) -> float:
    """How sharply rows of ink stand out from the gaps between them once turned by `angle`: highest when
    text lines run exactly across."""
    # cv2.reduce sums the rows ten times faster than numpy does; the ink is 0/255, so int32 holds any row.
    rows = cv2.reduce(turn_ink(ink_small, angle), 1, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel()
    rows = rows.astype(np.float64)
    return float(np.sum(np.diff(rows) ** 2))


def rotate_right_angle(image: np.ndarray, clockwise: int) -> np.ndarray:
    codes = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
    return cv2.rotate(image, codes[clockwise]) if clockwise in codes else image


def straighten(image: np.ndarray, angle: float, fill: int | tuple[int, int, int]) -> np.ndarray:
    """Undo a skew of `angle` degrees (counter-clockwise positive), filling with the paper colour."""
    # The estimate moves in 0.05° steps; a correction that small only blurs the strokes by resampling.
    if abs(angle) <= MIN_SKEW:
        return image
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), -angle, 1.0)
    return cv2.warpAffine(
        image, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=fill
    )


def painted_crop(
    image: np.ndarray,
    mask_small: np.ndarray,
    fill: int | tuple[int, int, int],
    box: tuple[int, int, int, int],
) -> np.ndarray:
    """A copy of `image` cut to `box` (x0, y0, x1, y1), in paper colour wherever the sheet is not: the lid
    wedges a skewed sheet leaves inside its bounding box would otherwise be read as a line of garbage. Cut
    first and painted in place, so a page worker holds one more copy of the page, not two."""
    x0, y0, x1, y1 = box
    out = image[y0:y1, x0:x1].copy()  # never a view: the caller's pixels are not to be painted
    if mask_small.min() > 0:
        return out
    # Pulled in a little: the mask's edge runs through the sheet's shadow; the margin there is blank.
    inner = cv2.erode(mask_small, np.ones((7, 7), np.uint8))
    mask = cv2.resize(inner, (image.shape[1], image.shape[0]), interpolation=cv2.INTER_LINEAR)
    return paint(out, cv2.compare(mask[y0:y1, x0:x1], 0, cv2.CMP_EQ), fill)


def crop_box(mask: np.ndarray, scale: int, shape: tuple[int, int], inset: int) -> tuple[int, int, int, int]:
    """Bounding box of the sheet in full-resolution coordinates, pulled in a little past its edge shadow."""
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return 0, 0, shape[1], shape[0]
    x0, x1 = xs.min() * scale + inset, (xs.max() + 1) * scale - inset
    y0, y1 = ys.min() * scale + inset, (ys.max() + 1) * scale - inset
    if x1 - x0 < shape[1] // 3 or y1 - y0 < shape[0] // 3:
        return 0, 0, shape[1], shape[0]
    return int(x0), int(y0), int(min(x1, shape[1])), int(min(y1, shape[0]))
