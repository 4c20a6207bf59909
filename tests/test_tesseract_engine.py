"""Cost per page (issue 23): Tesseract is driven as a library in the reading process (ocr.tesseract), its
model loaded once per thread and language, rather than started as a command for every recognition; what a
recognition gives back does not depend on what the engine read before, nor on the thread it runs on."""

from __future__ import annotations

import resource
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
import pytest

from sohoa.ocr import tesseract
from sohoa.ocr.errors import OcrError
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
