"""One page in, what it says out: blank verdict, orientation, deskew, border crop, recognition, review flags.

The page is analysed on a small copy (about 100 dpi) and transformed at full resolution once; Tesseract then
reads it once, and the searchable PDF's text layer is written from the words kept (ocr.textlayer). Which
way up the page is, ocr.orientation decides: from the text lines on the small copy, Tesseract's OSD only on
pages whose lines do not tell, and a page read with little confidence has its orientation checked again by
OCR.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from itertools import groupby

import cv2
import numpy as np

from sohoa.ocr import cleanup, glyphs, orientation, rescore, tesseract, unread
from sohoa.ocr.alternatives import by_box
from sohoa.ocr.blank import is_blank
from sohoa.ocr.options import OcrOptions
from sohoa.ocr.textlayer import text_layer_pdf
from sohoa.records.models import PageAnalysis, Word

__all__ = ["OcrOptions", "PageOutput", "process_page"]

_ANALYSIS_DPI = 100
_DEFAULT_DPI = 300


@dataclass
class PageOutput:
    analysis: PageAnalysis
    image: np.ndarray  # cleaned page: upright, straight, cropped; colour kept
    text_pdf: bytes  # one-page PDF holding only the invisible text layer of the words (ocr.textlayer)


def encode_page_image(image: np.ndarray, *, quality: int = 85) -> bytes:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("cannot encode page image")
    return buf.tobytes()


def _paper_fill(image: np.ndarray) -> int | tuple[int, int, int]:
    # The paper's own colour fills the corners that straightening uncovers: a bright percentile of the page.
    if image.ndim == 2:
        return int(np.percentile(image[::8, ::8], 90))
    sample = image[::8, ::8].reshape(-1, 3)
    return tuple(int(v) for v in np.percentile(sample, 90, axis=0))  # type: ignore[return-value]


def _words_and_text(recognition: tesseract.Recognition, correct: bool = False) -> tuple[list[Word], str]:
    words: list[Word] = []
    paragraphs: list[tuple[int, int]] = []
    for n, (_, group) in enumerate(groupby(recognition.words, key=lambda w: w.line_key)):
        for w in group:
            read = unicodedata.normalize("NFC", w.text)
            confidence = max(0.0, min(100.0, w.confidence))
            text = glyphs.cleaned(read)
            changed = {"ocr_text": read, "ocr_confidence": confidence} if text != read else {}
            words.append(
                Word(
                    text=text,
                    left=w.left,
                    top=w.top,
                    width=w.width,
                    height=w.height,
                    confidence=confidence,
                    line=n,
                    **changed,
                )
            )
            paragraphs.append(w.line_key[:2])
    if correct:
        words = rescore.correct(words, by_box(recognition.choices), paragraphs)
    return words, _text_of(words)


def _text_of(words: list[Word]) -> str:
    """The page's text: its words, a line of text per OCR line."""
    return "\n".join(" ".join(w.text for w in group) for _, group in groupby(words, key=lambda w: w.line))


def _region_words(
    crop: np.ndarray, dpi: int, max_dpi: int | None, options: OcrOptions, correct: bool
) -> list[Word]:
    """A region the page's recognition left unread, read as sparse text (ocr.unread), at most at `max_dpi`."""
    # Without the characters' choices: a word is kept from here only when Tesseract is sure of it, and the
    # correction's pair counts still weigh its marks. With the choices, no word more was found on the real
    # scans or the generated pages, for about 0.05 s a page of writing and parsing them. At the resolution
    # the page itself was read at: on the real scans, 200 dpi rather than 300 found one word more (5,335
    # of 5,420) for 13% less of this run's time.
    recognition = tesseract.recognize(
        crop,
        dpi,
        lang=options.lang,
        psm=11,
        user_words=tesseract.ADMIN_WORDS if options.admin_words else None,
        timeout=options.timeout,
        max_dpi=max_dpi,
    )
    return _words_and_text(recognition, correct)[0]


@dataclass
class _Read:
    rotate: int
    skew: float
    cleaned: np.ndarray
    recognition: tesseract.Recognition
    words: list[Word]
    text: str
    mean_conf: float


def _read(
    image: np.ndarray,
    rotate: int,
    lines: cleanup.LineScores,
    mask: np.ndarray,
    factor: int,
    dpi: int,
    options: OcrOptions,
) -> _Read:
    """Turn, straighten and crop the page, then recognise it once."""
    # Upright, the ink is the one the orientation looked at, and the angles it tried are not turned again.
    lines = cleanup.LineScores(cleanup.rotate_right_angle(lines.ink, rotate)) if rotate else lines
    mask = cleanup.rotate_right_angle(mask, rotate)
    skew = cleanup.estimate_skew(lines) if options.deskew else 0.0
    turned = cleanup.rotate_right_angle(image, rotate)
    fill = _paper_fill(turned)
    straight = cleanup.straighten(turned, skew, fill)
    mask = cleanup.straighten(mask, skew, 0)
    cleaned = straight
    if options.crop:
        x0, y0, x1, y1 = cleanup.crop_box(mask, factor, straight.shape[:2], inset=factor * 4)
        cleaned = cleanup.painted_crop(straight, mask, fill, (x0, y0, x1, y1))
    gray = cleanup.ocr_gray(cleaned) if options.drop_coloured_ink else cleanup.to_gray(cleaned)
    if options.remove_rules:
        gray = cleanup.remove_rules(gray)
    if options.denoise:
        gray = cv2.medianBlur(gray, 3)
    if options.binarize:
        gray = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1]
    # The turned and straightened pages are not needed past here: let them go before Tesseract runs, so a
    # page worker does not hold two more copies of the page while it waits (25-50 MB at A4, 300 dpi).
    del turned, straight
    correct = options.correct_syllables and "vie" in options.lang.split("+")

    def recognized(max_dpi: int | None) -> tuple[tesseract.Recognition, list[Word], str]:
        recognition = tesseract.recognize(
            gray,
            dpi,
            lang=options.lang,
            psm=options.psm,
            user_words=tesseract.ADMIN_WORDS if options.admin_words else None,
            alternatives=correct,
            timeout=options.timeout,
            max_dpi=max_dpi,
        )
        return recognition, *_words_and_text(recognition, correct)

    read_at = options.ocr_dpi
    recognition, words, text = recognized(read_at)
    if read_at and dpi > read_at and _mean(words) < options.review_confidence:
        # A page read poorly from the reduced copy is read again at its own resolution, and that reading
        # kept: the saving is for pages that read well. A blurred scan lost its heading at 200 dpi while
        # Tesseract was, if anything, surer of what it read there (44 against 38): confidence cannot
        # choose between the two, the resolution can.
        read_at = None
        recognition, words, text = recognized(read_at)
    if options.read_unread and words:
        words = unread.read_unread(
            gray, words, dpi, lambda crop: _region_words(crop, dpi, read_at, options, correct)
        )
        text = _text_of(words)
    return _Read(rotate, skew, cleaned, recognition, words, text, round(_mean(words), 2))


def _mean(words: list[Word]) -> float:
    return sum(w.confidence for w in words) / len(words) if words else 0.0


def process_page(
    image: np.ndarray, *, dpi: int = _DEFAULT_DPI, options: OcrOptions | None = None
) -> PageOutput:
    options = options or OcrOptions()
    factor = max(1, round(dpi / _ANALYSIS_DPI))
    small_colour = cleanup.shrink(image, factor)
    small = cleanup.to_gray(small_colour)
    mask = cleanup.paper_mask(small)
    # Pull the mask in so the sheet's edge shadow never counts as ink.
    inner = cv2.erode(mask, np.ones((9, 9), np.uint8))
    small_paper = np.where(inner > 0, small, 255).astype(np.uint8)
    ink = cv2.bitwise_and(cleanup.ink(small_paper), inner)
    reasons: list[str] = []

    blank, blank_unsure = is_blank(ink)
    if options.not_blank:
        blank, blank_unsure = False, False
    if blank:
        x0, y0, x1, y1 = cleanup.crop_box(mask, factor, image.shape[:2], inset=factor * 4)
        cleaned = image[y0:y1, x0:x1]
        h, w = cleaned.shape[:2]
        analysis = PageAnalysis(text="", blank=True, width=w, height=h, dpi=dpi)
        return PageOutput(analysis, cleaned, text_layer_pdf([], w, h, dpi))
    if blank_unsure:
        reasons.append("maybe_blank")

    osd = orientation.OsdCopy(image, inner, dpi)
    lines = cleanup.LineScores(ink)
    first = orientation.first_look(
        osd,
        small_colour,
        inner,
        lines,
        given=options.rotate,
        orient=options.orient,
        lines=options.orient_by_lines,
        lang=options.lang,
    )
    page, sure = orientation.read_upright(
        lambda turn: _read(image, turn, lines, mask, factor, dpi, options), first, osd, options.lang
    )
    if not sure:
        reasons.append("orientation_uncertain")
    if not page.words:
        reasons.append("no_text")
    elif page.mean_conf < options.review_confidence:
        reasons.append("low_confidence")
    h, w = page.cleaned.shape[:2]
    analysis = PageAnalysis(
        text=page.text,
        words=page.words,
        mean_confidence=page.mean_conf,
        rotation=page.rotate,
        skew=page.skew,
        blank=False,
        needs_review=bool(reasons),
        review_reasons=reasons,
        width=w,
        height=h,
        dpi=dpi,
        dhash=difference_hash(page.cleaned),
    )
    return PageOutput(analysis, page.cleaned, text_layer_pdf(page.words, w, h, dpi))


def difference_hash(image: np.ndarray) -> str:
    """64-bit dHash of the upright, cropped page: each bit says whether a cell of a 9×8 thumbnail is
    brighter than its right neighbour. Rescans of the same paper land a few bits apart; other pages of the
    same layout differ by far more."""
    thumb = cv2.resize(cleanup.to_gray(image), (9, 8), interpolation=cv2.INTER_AREA).astype(np.int16)
    bits = (thumb[:, 1:] > thumb[:, :-1]).flatten()
    return f"{int(''.join('1' if b else '0' for b in bits), 2):016x}"
