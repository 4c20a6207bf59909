"""The one place that drives Tesseract: its library, loaded in the reading process (tesserocr), each model
kept loaded between pages, time limits and errors.

Each page costs one recognition that gives the words and, when asked, the characters the recognizer weighed
at each place (`lstm_choice_mode=2`, ocr.alternatives, for ocr.rescore), both read from its result
iterator. The searchable PDF's text layer is written from the page's final words (ocr.textlayer), not by
Tesseract. Orientation detection (OSD) runs separately on a small copy of the page.

In the process rather than as the `tesseract` command: the command loads the model, its dictionaries and the
administrative words again for every run, and a page is two runs (the page and its unread regions). On the
15 real scans at 200 dpi, the page runs alone took 14.3 s of CPU this way against 16.4 s as commands, and
the same words were read there and on the generated pages. Only some confidences moved: the administrative
words given as the model loads weigh on the words around them ("UBND" 91 → 96), where the command's
`--user-words` left them as without the list. An engine is kept per thread (Tesseract's API is not for
sharing between threads) and per language and word list. OMP_THREAD_LIMIT=1 (set before the library
loads): pages are already spread over the cores by the caller, and Tesseract's own threads would only fight
them.
"""

from __future__ import annotations

import os
import re
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

os.environ["OMP_THREAD_LIMIT"] = "1"  # read by OpenMP as the library loads, just below

import cv2
import numpy as np
import tesserocr
from tesserocr import RIL

from sohoa.errors import TooSlow
from sohoa.ocr.alternatives import CharChoice, WordChoices
from sohoa.ocr.errors import OcrError

# Abbreviations of Vietnamese administrative papers that Tesseract's Vietnamese dictionary lacks: the document
# type codes of Decree 30/2020 (appendix III), ministries, departments and courts, and the everyday ones of a
# one-stop counter (TTHC, CCCD, QSDĐ...). Without them the LSTM reads "TTHC" as "THC" or "'TTHC" now and then.
ADMIN_WORDS = Path(__file__).with_name("data") / "vie-admin.user-words"

# Each page's own: set before every recognition, as the command line sets them for one run.
_CHOICES_ON = {"lstm_choice_mode": "2", "lstm_choice_iterations": "2"}
_CHOICES_OFF = {"lstm_choice_mode": "0"}
_engines = threading.local()


@lru_cache(maxsize=1)
def version() -> str:
    match = re.search(r"tesseract\s+v?(\S+)", tesserocr.tesseract_version())
    return match.group(1) if match else "unknown"


@lru_cache(maxsize=1)
def tessdata_dir() -> Path:
    """Where Tesseract finds its models (TESSDATA_PREFIX when set), as its library reports it."""
    return Path(tesserocr.get_languages()[0])


def engine_name() -> str:
    return f"tesseract {version()}"


def _engine(lang: str, user_words: Path | None = None) -> tesserocr.PyTessBaseAPI:
    """This thread's engine for `lang` (with `user_words` preferred), loaded on first use."""
    kept: dict[tuple[str, str], tesserocr.PyTessBaseAPI] = _engines.__dict__.setdefault("kept", {})
    key = (lang, str(user_words or ""))
    engine = kept.get(key)
    if engine is None:
        # The word list is read as the model loads (an init-only setting), so it is part of the key.
        variables = {"user_words_file": str(user_words)} if user_words else {}
        try:
            engine = tesserocr.PyTessBaseAPI(path=str(tessdata_dir()), lang=lang, variables=variables)
        except RuntimeError as exc:
            raise OcrError(
                f"Tesseract không nạp được ngôn ngữ {lang!r} (cài gói tesseract-ocr-{lang})",
                f"Tesseract cannot load {lang!r} from {tessdata_dir()}: install tesseract-ocr-{lang}",
            ) from exc
        kept[key] = engine
    return engine


def _set_page(engine: tesserocr.PyTessBaseAPI, gray: np.ndarray, dpi: int, psm: int) -> bytes:
    """Give `engine` the page; the answer is the pixels' buffer, which Tesseract reads without copying it
    and the caller keeps alive until it is done."""
    pixels = np.ascontiguousarray(gray, dtype=np.uint8).tobytes()
    engine.SetPageSegMode(psm)
    engine.SetImageBytes(pixels, gray.shape[1], gray.shape[0], 1, gray.shape[1])
    engine.SetVariable("user_defined_dpi", str(dpi))  # what `tesseract --dpi` sets
    return pixels


def _recognized(engine: tesserocr.PyTessBaseAPI, timeout: float) -> None:
    start = time.monotonic()
    if engine.Recognize(timeout=max(1, round(timeout * 1000))):
        return
    if time.monotonic() - start >= timeout:
        # Over the page's time budget is the page's doing (a bomb, or damage that sends Tesseract astray), as
        # when rasterizing it: refused as bad input, not reported as a fault of the service.
        raise TooSlow(
            "Nhận dạng trang quá thời gian cho phép", f"recognizing the page took over {timeout:g} s"
        )
    raise OcrError("Nhận dạng trang thất bại", "Tesseract could not recognize the page")


@dataclass(frozen=True, slots=True)
class Osd:
    rotate: int  # clockwise degrees that put the page upright
    confidence: float


def detect_orientation(gray: np.ndarray, dpi: int) -> Osd | None:
    """Tesseract OSD; None when it cannot tell (too little text)."""
    engine = _engine("osd")
    pixels = _set_page(engine, gray, dpi, tesserocr.PSM.OSD_ONLY)
    try:
        found = engine.DetectOrientationScript()
    finally:
        engine.Clear()
        del pixels  # kept until Tesseract is done with it
    if not found:
        return None
    # orient_deg is how far the page is turned clockwise; `tesseract --psm 0` prints the turn back as Rotate.
    return Osd((360 - int(found["orient_deg"])) % 360, round(float(found["orient_conf"]), 2))


@dataclass(frozen=True, slots=True)
class RecognizedWord:
    text: str
    left: int
    top: int
    width: int
    height: int
    confidence: float
    line_key: tuple[int, int, int]  # block, paragraph, line


@dataclass(frozen=True, slots=True)
class Recognition:
    words: list[RecognizedWord]
    choices: list[WordChoices] = field(default_factory=list)  # with `alternatives=True`


# The values the TSV and hOCR printed when sohoa read those (C's "%f" and a stream's 8 significant digits):
# kept so that the same page reads to the same numbers, in the stored words and in every threshold after.
def _tsv_conf(value: float) -> float:
    return float(f"{value:f}")


def _hocr_conf(value: float) -> float:
    return float(f"{value:.8g}")


def _results(engine: tesserocr.PyTessBaseAPI, alternatives: bool) -> Recognition:
    """The words of the engine's last recognition, walked once through its result iterator as Tesseract's
    TSV output walks them (blocks, paragraphs and lines numbered from 1, words without text left out),
    and with `alternatives` the characters weighed at each place, as its hOCR lists them. Asking the
    iterator is about three times faster than having Tesseract print both and parsing them back: on the
    real scans and the generated pages, 36 and 38 ms a page went to printing the TSV and the hOCR alone."""
    it = engine.GetIterator()
    words: list[RecognizedWord] = []
    choices: list[WordChoices] = []
    block = paragraph = line = 0
    while it is not None and not it.Empty(RIL.BLOCK):
        if it.Empty(RIL.WORD):
            it.Next(RIL.WORD)
            continue
        if it.IsAtBeginningOf(RIL.BLOCK):
            block, paragraph, line = block + 1, 0, 0
        if it.IsAtBeginningOf(RIL.PARA):
            paragraph, line = paragraph + 1, 0
        if it.IsAtBeginningOf(RIL.TEXTLINE):
            line += 1
        left, top, right, bottom = it.BoundingBox(RIL.WORD)
        text = (it.GetUTF8Text(RIL.WORD) or "").strip()
        confidence = _tsv_conf(it.Confidence(RIL.WORD))
        if not text or confidence < 0:
            it.Next(RIL.WORD)
            continue
        words.append(
            RecognizedWord(text, left, top, right - left, bottom - top, confidence, (block, paragraph, line))
        )
        if not alternatives:
            it.Next(RIL.WORD)
            continue
        chars = []
        while True:  # the word's characters, which leaves the iterator at the next word
            char = it.GetUTF8Text(RIL.SYMBOL)
            if char:
                chars.append(CharChoice(char, _hocr_conf(it.Confidence(RIL.SYMBOL)), _weighed(it)))
            it.Next(RIL.SYMBOL)
            if it.Empty(RIL.BLOCK) or it.IsAtBeginningOf(RIL.WORD):
                break
        choices.append(WordChoices((left, top, right, bottom), tuple(chars)))
    return Recognition(words, choices)


def _weighed(it: tesserocr.PyResultIterator) -> tuple[tuple[str, float], ...]:
    """The characters the recognizer weighed at the iterator's character, best first."""
    found = []
    choice = it.GetChoiceIterator()
    while True:
        text = choice.GetUTF8Text()
        if text is not None:
            found.append((text, _hocr_conf(choice.Confidence())))
        if not choice.Next():
            return tuple(found)


def _read(
    gray: np.ndarray,
    dpi: int,
    *,
    lang: str,
    psm: int,
    user_words: Path | None,
    alternatives: bool,
    timeout: float,
) -> Recognition:
    """One recognition's words and (with `alternatives`) their characters' choices."""
    engine = _engine(lang, user_words)
    for name, value in (_CHOICES_ON if alternatives else _CHOICES_OFF).items():
        engine.SetVariable(name, value)
    pixels = _set_page(engine, gray, dpi, psm)
    try:
        _recognized(engine, timeout)
        return _results(engine, alternatives)
    finally:
        engine.Clear()  # the page's pixels and results are let go now, not when the next page comes
        del pixels  # kept until Tesseract is done with it


def recognize(
    gray: np.ndarray,
    dpi: int,
    *,
    lang: str = "vie",
    psm: int = 3,
    user_words: Path | None = None,
    alternatives: bool = False,
    timeout: float = 300,
    max_dpi: int | None = None,
) -> Recognition:
    """One recognition: words with boxes and confidence.

    With `max_dpi`, a page finer than that is read from a copy resampled to `max_dpi` (see `reading_scale`);
    the boxes come back in the page's own pixels, so callers see no difference but the time.

    `user_words` is a file of extra words, one a line, that the recognizer prefers when the pixels allow.
    With `alternatives`, the same run also lists each character's alternatives (`Recognition.choices`); it
    reads the same words, for about 5% more CPU time (12.6 against 12.0 s of recognition on the 15 real
    scans, `process_page` with and without `correct_syllables`).
    """
    # Two rounds of the choices' beam search, not Tesseract's five (_CHOICES_ON). Rounds three to five list
    # more alternatives (on quangngai-2c9556ea-p2, 2,586 more, 151 of them with some weight, up to 74) and
    # cost about 6% of the run (15.3 against 16.2 s of CPU on the 15 real scans), yet the corrected words on
    # those scans and on the 28 generated pages of bench/ocr_vs_ocrmypdf.py (seeds 1, 2) came out the same.
    scale = reading_scale(dpi, max_dpi)
    if scale < 1:
        size = (round(gray.shape[1] * scale), round(gray.shape[0] * scale))
        gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
        dpi = round(dpi * scale)
    recognition = _read(
        gray, dpi, lang=lang, psm=psm, user_words=user_words, alternatives=alternatives, timeout=timeout
    )
    return recognition if scale == 1 else _boxes_scaled(recognition, 1 / scale)


def reading_scale(dpi: int, max_dpi: int | None) -> float:
    """The factor a page at `dpi` is resampled by before it is read: 1 unless it is finer than `max_dpi`
    by more than a tenth (a 220-dpi scan is read as it is)."""
    if max_dpi is None or dpi <= max_dpi * 1.1:
        return 1.0
    return max_dpi / dpi


def _boxes_scaled(recognition: Recognition, factor: float) -> Recognition:
    """The words' and choices' boxes multiplied by `factor`, edges rounded the same way for both so that a
    word still finds its choices by box (alternatives.by_box)."""

    def at(v: int) -> int:
        return round(v * factor)

    words = [
        RecognizedWord(
            w.text,
            at(w.left),
            at(w.top),
            at(w.left + w.width) - at(w.left),
            at(w.top + w.height) - at(w.top),
            w.confidence,
            w.line_key,
        )
        for w in recognition.words
    ]
    choices = [
        WordChoices((at(c.box[0]), at(c.box[1]), at(c.box[2]), at(c.box[3])), c.chars)
        for c in recognition.choices
    ]
    return Recognition(words, choices)


def quick_confidence(
    gray: np.ndarray, dpi: int, *, lang: str = "vie", timeout: float = 60
) -> tuple[float, int]:
    """Mean word confidence and word count of a fast OCR pass (used to settle an unsure orientation)."""
    read = _read(gray, dpi, lang=lang, psm=6, user_words=None, alternatives=False, timeout=timeout)
    words = [w for w in read.words if len(w.text) > 1]
    if not words:
        return 0.0, 0
    return sum(w.confidence for w in words) / len(words), len(words)
