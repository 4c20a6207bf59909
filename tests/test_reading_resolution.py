"""Cost per page (issue 23): a page finer than OcrOptions.ocr_dpi is read by Tesseract from a copy at that
resolution, and what comes back (word boxes, the characters' choices) is in the page's own pixels."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from pydantic import ValidationError

from sohoa.api.settings import Settings
from sohoa.ocr import tesseract
from sohoa.ocr.alternatives import by_box
from sohoa.ocr.pipeline import OcrOptions, process_page
from sohoa.samples.scangen import Degradation, make_page


@pytest.fixture(scope="module")
def page_300() -> np.ndarray:
    image = make_page(seed=7, dpi=300, lines=5).image
    return cv2.cvtColor(np.asarray(image.convert("RGB")), cv2.COLOR_RGB2GRAY)


def test_the_rule_resamples_only_pages_finer_than_the_limit() -> None:
    assert tesseract.reading_scale(300, 200) == pytest.approx(2 / 3)
    assert tesseract.reading_scale(600, 200) == pytest.approx(1 / 3)
    assert tesseract.reading_scale(220, 200) == 1.0  # within a tenth: not worth a resampling
    assert tesseract.reading_scale(200, 200) == 1.0
    assert tesseract.reading_scale(150, 200) == 1.0  # never upscaled
    assert tesseract.reading_scale(300, None) == 1.0


def test_a_300_dpi_page_is_read_at_200_dpi_and_answered_in_its_own_pixels(page_300: np.ndarray) -> None:
    h, w = page_300.shape
    small = cv2.resize(page_300, (round(w * 2 / 3), round(h * 2 / 3)), interpolation=cv2.INTER_AREA)
    at_200 = tesseract.recognize(small, 200, lang="vie", psm=4, alternatives=True)
    read = tesseract.recognize(page_300, 300, lang="vie", psm=4, alternatives=True, max_dpi=200)

    # The same reading as of the 200-dpi copy: same words, same confidence...
    assert [(x.text, x.confidence) for x in read.words] == [(x.text, x.confidence) for x in at_200.words]
    assert len(read.words) > 30
    # ...with each box in the 300-dpi page's pixels.
    for mine, theirs in zip(read.words, at_200.words, strict=True):
        assert mine.left == round(theirs.left * 1.5)
        assert mine.top == round(theirs.top * 1.5)
        assert mine.left + mine.width == round((theirs.left + theirs.width) * 1.5)
    assert max(x.left + x.width for x in read.words) > 0.6 * w
    # Every word still finds its characters' choices by box (what ocr.rescore corrects from).
    choices = by_box(read.choices)
    for x in read.words:
        assert (x.left, x.top, x.left + x.width, x.top + x.height) in choices


def test_a_page_read_by_default_has_its_words_where_the_full_resolution_reading_puts_them(
    page_300: np.ndarray,
) -> None:
    fast = process_page(page_300, dpi=300).analysis
    full = process_page(page_300, dpi=300, options=OcrOptions(ocr_dpi=None)).analysis
    assert OcrOptions().ocr_dpi == 200
    assert fast.dpi == 300 and (fast.width, fast.height) == (full.width, full.height)
    boxes = {w.text: (w.left, w.top, w.left + w.width, w.top + w.height) for w in full.words}
    matched = [(w, boxes[w.text]) for w in fast.words if w.text in boxes]
    assert len(matched) > 0.8 * len(fast.words)
    for word, (x0, y0, x1, y1) in matched:
        # A word found twice on the page may match its twin on another line: compare where it is unique.
        if sum(1 for w in full.words if w.text == word.text) == 1:
            assert abs(word.left - x0) <= 6 and abs(word.top - y0) <= 6
            assert abs(word.left + word.width - x1) <= 6 and abs(word.top + word.height - y1) <= 6


def test_the_reading_resolution_is_a_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sohoa.api.backends import make_backends

    monkeypatch.chdir(tmp_path)  # no .env file of the project's own
    assert make_backends(Settings(data_dir=tmp_path)).options.ocr_dpi == 200
    monkeypatch.setenv("SOHOA_OCR_DPI", "0")
    assert make_backends(Settings(data_dir=tmp_path)).options.ocr_dpi is None  # the page's own
    monkeypatch.setenv("SOHOA_OCR_DPI", "250")
    assert make_backends(Settings(data_dir=tmp_path)).options.ocr_dpi == 250
    for useless in ("100", "1200", "-1"):
        monkeypatch.setenv("SOHOA_OCR_DPI", useless)
        with pytest.raises(ValidationError, match="SOHOA_OCR_DPI"):
            Settings(data_dir=tmp_path)


def test_a_page_read_poorly_from_the_reduced_copy_is_read_at_its_own_resolution() -> None:
    # A heavily blurred 300-dpi page: at 200 dpi Tesseract lost its heading (while being no less sure of
    # itself), so a page read with low confidence there is read again at its own 300 dpi, and that is kept.
    page = make_page(seed=400, size="A5", lines=5, degradation=Degradation(blur=3.5)).image
    pixels = np.array(page.convert("RGB"))[:, :, ::-1].copy()
    own = process_page(pixels, dpi=300, options=OcrOptions(ocr_dpi=None)).analysis
    default = process_page(pixels, dpi=300).analysis
    assert own.mean_confidence < OcrOptions().review_confidence  # the case at hand: a poor reading
    assert default.text == own.text
    assert default.words == own.words
