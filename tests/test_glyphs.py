"""Look-alike characters Tesseract's Vietnamese model writes are put back as printed (issue 23,
ocr.glyphs), and the reading it wrote is kept in the word's record."""

from __future__ import annotations

import pytest

from sohoa.ocr import tesseract
from sohoa.ocr.glyphs import cleaned
from sohoa.ocr.pipeline import _words_and_text


@pytest.mark.parametrize(
    ("read", "printed"),
    [
        ("GD&ĐÐT", "GD&ĐT"),  # the capital eth doubled after Đ
        ("(Ð4).", "(Đ4)."),
        ("Ð/c", "Đ/c"),
        ("P.KTTHT¡en502.", "P.KTTHTien502."),
        ("2l", "21"),
        ("i1,", "11,"),
        ("(2l)", "(21)"),
    ],
)
def test_lookalikes_are_put_back(read: str, printed: str) -> None:
    assert cleaned(read) == printed


@pytest.mark.parametrize("word", ["Đồng", "li", "Il", "ll", "12/2024", "UBND", "|"])
def test_words_without_lookalikes_are_left_alone(word: str) -> None:
    assert cleaned(word) == word


def test_the_reading_tesseract_wrote_stays_in_the_record() -> None:
    recognition = tesseract.Recognition(
        words=[
            tesseract.RecognizedWord("Sở", 10, 10, 40, 20, 96.0, (1, 1, 1)),
            tesseract.RecognizedWord("GD&ĐÐT", 60, 10, 90, 20, 88.0, (1, 1, 1)),
        ],
    )
    words, text = _words_and_text(recognition)
    assert text == "Sở GD&ĐT"
    assert (words[1].ocr_text, words[1].ocr_confidence) == ("GD&ĐÐT", 88.0)
    assert words[0].ocr_text is None


@pytest.mark.parametrize(
    ("read", "printed"),
    [("cầẦn", "cần"), ("CẦầN", "CẦN"), ("Đổổi", "Đổổi"), ("ẦầN", "ẦầN"), ("Aa", "Aa")],
)
def test_a_marked_vowel_written_in_both_cases_keeps_the_words_case(read: str, printed: str) -> None:
    # "cầẦn" on a real scan (vietadmin-3-p6); two of one case, or nothing to tell the case by, stay.
    assert cleaned(read) == printed
