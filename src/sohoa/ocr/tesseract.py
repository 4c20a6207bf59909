"""The one place that runs the `tesseract` executable: arguments, version probe, timeouts, errors.

Each page costs one recognition run that writes the words (TSV) and, when asked, the characters the
recognizer weighed at each place (hOCR with `lstm_choice_mode=2`, read by ocr.alternatives for
ocr.rescore). The searchable PDF's text layer is written from the page's final words (ocr.textlayer), not
by Tesseract.
Orientation detection (OSD) runs separately on a small copy of the page. OMP_THREAD_LIMIT=1: pages are
already spread over the cores by the caller, and Tesseract's own threads would only fight them.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from sohoa.errors import TooSlow
from sohoa.ocr.alternatives import WordChoices, parse_hocr
from sohoa.ocr.errors import OcrError

_ENV = {**os.environ, "OMP_THREAD_LIMIT": "1"}

# Abbreviations of Vietnamese administrative papers that Tesseract's Vietnamese dictionary lacks: the document
# type codes of Decree 30/2020 (appendix III), ministries, departments and courts, and the everyday ones of a
# one-stop counter (TTHC, CCCD, QSDĐ...). Without them the LSTM reads "TTHC" as "THC" or "'TTHC" now and then.
ADMIN_WORDS = Path(__file__).with_name("data") / "vie-admin.user-words"


@lru_cache(maxsize=1)
def version() -> str:
    try:
        out = subprocess.run(
            ["tesseract", "--version"], capture_output=True, text=True, timeout=30, check=True
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise OcrError(
            "Không tìm thấy Tesseract (cài gói tesseract-ocr, tesseract-ocr-vie)",
            "tesseract not found: install tesseract-ocr and tesseract-ocr-vie",
        ) from exc
    match = re.search(r"tesseract\s+v?(\S+)", out.stdout + out.stderr)
    return match.group(1) if match else "unknown"


@lru_cache(maxsize=1)
def tessdata_dir() -> Path:
    """Where Tesseract finds its models (TESSDATA_PREFIX when set), as it reports it."""
    try:
        out = subprocess.run(
            ["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30, check=True
        )
    except (OSError, subprocess.SubprocessError) as exc:
        version()  # raises the clear "not installed" message
        message = f"tesseract --list-langs failed: {exc}"
        raise OcrError("Tesseract không liệt kê được dữ liệu", message) from exc
    match = re.search(r'"([^"]+)"', out.stdout + out.stderr)
    if match is None:
        raise OcrError("Không rõ thư mục dữ liệu của Tesseract", "cannot tell where Tesseract keeps its data")
    return Path(match.group(1))


def engine_name() -> str:
    return f"tesseract {version()}"


def _run(args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["tesseract", *args], capture_output=True, text=True, timeout=timeout, env=_ENV, check=True
        )
    except subprocess.TimeoutExpired as exc:
        # Over the page's time budget is the page's doing (a bomb, or damage that sends Tesseract astray), as
        # when rasterizing it: refused as bad input, not reported as a fault of the service.
        raise TooSlow(
            "Nhận dạng trang quá thời gian cho phép", f"recognizing the page took over {timeout:g} s"
        ) from exc
    except subprocess.CalledProcessError as exc:
        raise OcrError("Nhận dạng trang thất bại", f"tesseract failed: {exc.stderr.strip()[-300:]}") from exc
    except OSError as exc:
        version()  # raises the clear "not installed" message
        raise OcrError("Không chạy được Tesseract", f"cannot run tesseract: {exc}") from exc


def _write_pgm(gray: np.ndarray, path: Path) -> None:
    # PGM is uncompressed: writing it costs a few milliseconds where a PNG of a 300-dpi page costs 0.3 s.
    if not cv2.imwrite(str(path), gray):
        raise OcrError("Không ghi được ảnh trang tạm", f"cannot write {path.name}")


@dataclass(frozen=True, slots=True)
class Osd:
    rotate: int  # clockwise degrees that put the page upright
    confidence: float


def detect_orientation(gray: np.ndarray, dpi: int, *, timeout: float = 60) -> Osd | None:
    """Tesseract OSD; None when it cannot tell (too little text)."""
    with tempfile.TemporaryDirectory(prefix="sohoa-osd-") as tmp:
        path = Path(tmp) / "page.pgm"
        _write_pgm(gray, path)
        try:
            out = _run([str(path), "-", "--psm", "0", "--dpi", str(dpi)], timeout).stdout
        except (OcrError, TooSlow):
            return None
    rotate = re.search(r"Rotate:\s*(\d+)", out)
    confidence = re.search(r"Orientation confidence:\s*([\d.]+)", out)
    if not rotate or not confidence:
        return None
    return Osd(int(rotate.group(1)) % 360, float(confidence.group(1)))


@dataclass(frozen=True, slots=True)
class TsvWord:
    text: str
    left: int
    top: int
    width: int
    height: int
    confidence: float
    line_key: tuple[int, int, int]  # block, paragraph, line


@dataclass(frozen=True, slots=True)
class Recognition:
    words: list[TsvWord]
    choices: list[WordChoices] = field(default_factory=list)  # with `alternatives=True`


def parse_tsv(tsv: str) -> list[TsvWord]:
    words = []
    reader = csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE)
    for row in reader:
        if row.get("level") != "5":
            continue
        text = (row.get("text") or "").strip()
        conf = float(row.get("conf") or -1)
        if not text or conf < 0:
            continue
        words.append(
            TsvWord(
                text=text,
                left=int(row["left"]),
                top=int(row["top"]),
                width=int(row["width"]),
                height=int(row["height"]),
                confidence=conf,
                line_key=(int(row["block_num"]), int(row["par_num"]), int(row["line_num"])),
            )
        )
    return words


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
    reads the same words, for about 8% more CPU time (15.6 against 14.3 s on the 15 real scans at 200 dpi).
    """
    # Two rounds of the choices' beam search, not Tesseract's five. Rounds three to five list more
    # alternatives (on quangngai-2c9556ea-p2, 2,586 more, 151 of them with some weight, up to 74) and cost
    # about 6% of the run (15.3 against 16.2 s of CPU on the 15 real scans), yet the corrected words on those
    # scans and on the 28 generated pages of bench/ocr_vs_ocrmypdf.py (seeds 1, 2) came out the same.
    choices = ["-c", "lstm_choice_mode=2", "-c", "lstm_choice_iterations=2", "-c", "hocr_char_boxes=1"]
    choice_args = [*choices, "hocr"] if alternatives else []
    scale = reading_scale(dpi, max_dpi)
    if scale < 1:
        size = (round(gray.shape[1] * scale), round(gray.shape[0] * scale))
        gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
        dpi = round(dpi * scale)
    with tempfile.TemporaryDirectory(prefix="sohoa-ocr-") as tmp:
        path = Path(tmp) / "page.pgm"
        _write_pgm(gray, path)
        base = Path(tmp) / "out"
        _run(
            [
                str(path),
                str(base),
                *(["--user-words", str(user_words)] if user_words else []),
                "-l",
                lang,
                "--psm",
                str(psm),
                "--dpi",
                str(dpi),
                "tsv",
                *choice_args,
            ],
            timeout,
        )
        tsv = base.with_suffix(".tsv").read_text(encoding="utf-8")
        hocr = base.with_suffix(".hocr").read_text(encoding="utf-8") if alternatives else ""
    recognition = Recognition(parse_tsv(tsv), parse_hocr(hocr) if hocr else [])
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
        TsvWord(
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
    with tempfile.TemporaryDirectory(prefix="sohoa-ocrq-") as tmp:
        path = Path(tmp) / "probe.pgm"
        _write_pgm(gray, path)
        out = _run([str(path), "-", "-l", lang, "--psm", "6", "--dpi", str(dpi), "tsv"], timeout).stdout
    words = [w for w in parse_tsv(out) if len(w.text) > 1]
    if not words:
        return 0.0, 0
    return sum(w.confidence for w in words) / len(words), len(words)
