"""Cost per page (issue 23): Tesseract is driven as a library in the reading process (ocr.tesseract), its
model loaded once per thread and language, rather than started as a command for every recognition; what a
recognition gives back does not depend on what the engine read before, nor on the thread it runs on."""

from __future__ import annotations

import csv
import html
import io
import re
import resource
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pytest

from sohoa.ocr import tesseract
from sohoa.ocr.alternatives import CharChoice, WordChoices
from sohoa.ocr.errors import OcrError
from sohoa.ocr.rasterize import load_image
from sohoa.samples.scangen import make_page


@pytest.fixture(scope="module")
def page() -> np.ndarray:
    image = make_page(seed=31, dpi=200, lines=4).image
    return cv2.cvtColor(np.asarray(image.convert("RGB")), cv2.COLOR_RGB2GRAY)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _read(gray: np.ndarray, **kwargs: object) -> tesseract.Recognition:
    return tesseract.recognize(gray, 200, psm=4, user_words=tesseract.ADMIN_WORDS, **kwargs)  # type: ignore[arg-type]


def test_pages_are_read_in_this_process_by_an_engine_loaded_once(page: np.ndarray) -> None:
    first = _read(page, alternatives=True)
    engine = tesseract._engine("vie", tesseract.ADMIN_WORDS)
    before = _children_cpu()
    again = _read(page, alternatives=True)
    assert _children_cpu() == before  # no `tesseract` process was started and reaped
    assert tesseract._engine("vie", tesseract.ADMIN_WORDS) is engine
    assert [w.text for w in again.words] == [w.text for w in first.words]
    assert len(first.words) > 20


def test_the_characters_choices_are_asked_for_each_recognition_alone(page: np.ndarray) -> None:
    plain = _read(page)
    with_choices = _read(page, alternatives=True)
    plain_again = _read(page)
    assert not plain.choices and not plain_again.choices
    assert len(with_choices.choices) == len(with_choices.words)
    assert any(len(c.alternatives) > 1 for w in with_choices.choices for c in w.chars)
    assert plain_again.words == plain.words
    assert [w.text for w in with_choices.words] == [w.text for w in plain.words]


def _printed_words(tsv: str) -> list[tesseract.RecognizedWord]:
    rows = csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE, fieldnames=_TSV_FIELDS)
    return [
        tesseract.RecognizedWord(
            row["text"].strip(),
            int(row["left"]),
            int(row["top"]),
            int(row["width"]),
            int(row["height"]),
            float(row["conf"]),
            (int(row["block_num"]), int(row["par_num"]), int(row["line_num"])),
        )
        for row in rows
        if row["level"] == "5" and (row["text"] or "").strip() and float(row["conf"]) >= 0
    ]


_TSV_FIELDS = [
    *("level", "page_num", "block_num", "par_num", "line_num", "word_num"),
    *("left", "top", "width", "height", "conf", "text"),
]
_HOCR_WORD = re.compile(
    r"<span class='ocrx_word' id='[^']*' title='bbox (\d+) (\d+) (\d+) (\d+); x_wconf [\d.-]+'>"
)
_HOCR_CHAR = re.compile(
    r"<span class='ocrx_cinfo' title='x_bboxes [^;']*; x_conf ([\d.]+)'>([^<]*)</span>"
    r"|<span class='ocrx_cinfo' id='choice_[^']*' title='x_confs ([\d.]+)'>([^<]*)</span>"
)


def _printed_choices(hocr: str) -> dict[tuple[int, int, int, int], WordChoices]:
    found = {}
    starts = list(_HOCR_WORD.finditer(hocr))
    for n, word in enumerate(starts):
        chars: list[tuple[str, float, list[tuple[str, float]]]] = []
        end = starts[n + 1].start() if n + 1 < len(starts) else len(hocr)
        for char in _HOCR_CHAR.finditer(hocr, word.end(), end):
            if char.group(2) is not None:
                chars.append((html.unescape(char.group(2)), float(char.group(1)), []))
            else:
                chars[-1][2].append((html.unescape(char.group(4)), float(char.group(3))))
        box = (int(word.group(1)), int(word.group(2)), int(word.group(3)), int(word.group(4)))
        found[box] = WordChoices(box, tuple(CharChoice(t, c, tuple(a)) for t, c, a in chars))
    return found


def test_the_words_and_choices_walked_out_of_tesseract_are_those_its_tsv_and_hocr_print(
    real_scan: np.ndarray,
) -> None:
    # The words and characters are asked of Tesseract's result iterator, not printed by it and parsed back:
    # the same run's TSV and hOCR must say the same, numbers and line numbering included.
    engine = tesseract._engine("vie", tesseract.ADMIN_WORDS)
    for name, value in {**tesseract._CHOICES_ON, "hocr_char_boxes": "1"}.items():
        engine.SetVariable(name, value)
    pixels = tesseract._set_page(engine, real_scan, 200, 4)
    try:
        tesseract._recognized(engine, 300)
        walked = tesseract._results(engine, alternatives=True)
        tsv, hocr = engine.GetTSVText(0), engine.GetHOCRText(0)
    finally:
        engine.Clear()
        engine.SetVariable("hocr_char_boxes", "0")
        del pixels
    assert len({w.line_key[0] for w in walked.words}) > 3 and len(walked.words) > 200
    assert walked.words == _printed_words(tsv)
    printed = _printed_choices(hocr)
    assert [printed[c.box] for c in walked.choices] == walked.choices
    assert {c.box for c in walked.choices} == {
        (w.left, w.top, w.left + w.width, w.top + w.height) for w in walked.words
    }
    assert sum(len(c.alternatives) > 1 for w in walked.choices for c in w.chars) > 100


@pytest.fixture(scope="module")
def real_scan() -> np.ndarray:
    image, _ = load_image(Path(__file__).parent / "data" / "real_scans" / "quangngai-2c9556ea-p2.jpg")
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    return cv2.resize(gray, (gray.shape[1] * 2 // 3, gray.shape[0] * 2 // 3), interpolation=cv2.INTER_AREA)


def test_a_recognition_reads_the_same_on_any_thread(page: np.ndarray) -> None:
    alone = _read(page, alternatives=True)
    # Four recognitions at once on two threads' engines: one engine is never shared between threads.
    with ThreadPoolExecutor(max_workers=2) as pool:
        side_by_side = list(pool.map(lambda _: _read(page, alternatives=True), range(4)))
    for recognition in side_by_side:
        assert recognition.words == alone.words
        assert recognition.choices == alone.choices


def test_a_language_that_is_not_installed_is_a_clear_error(page: np.ndarray) -> None:
    with pytest.raises(OcrError, match="install tesseract-ocr-xyz"):
        tesseract.recognize(page, 200, lang="xyz")


def test_tesseract_reads_on_one_thread() -> None:
    # Pages are spread over the cores one worker each; Tesseract's OpenMP threads would only fight them.
    code = textwrap.dedent(
        """
        import os
        import numpy as np
        from sohoa.ocr import tesseract
        from sohoa.samples.scangen import make_page
        gray = np.asarray(make_page(seed=32, dpi=200, lines=4).image.convert("L"))
        before = len(os.listdir("/proc/self/task"))
        words = tesseract.recognize(gray, 200, psm=4).words
        print(len(words), before, len(os.listdir("/proc/self/task")))
        """
    )
    env = {"PATH": "/usr/bin:/bin"}  # no OMP_THREAD_LIMIT given: sohoa sets it
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    words, before, after = map(int, out.stdout.split())
    assert words > 20
    assert after == before
