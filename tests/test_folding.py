"""Vietnamese folding and the snippets built on it."""

import unicodedata

from sohoa.search.folding import fold, fold_with_offsets, has_marks, tokens
from sohoa.search.highlight import snippet


def test_fold_strips_tones_and_vowel_marks() -> None:
    assert fold("Hồ sơ") == "ho so"
    assert fold("HỒ SƠ") == "ho so"
    assert fold("Đường Nguyễn Huệ") == "duong nguyen hue"
    assert fold("ăâêôơư ÁÀẢÃẠ ỳýỷỹỵ") == "aaeoou aaaaa yyyyy"


def test_fold_accepts_decomposed_input() -> None:
    decomposed = unicodedata.normalize("NFD", "giấy khai sinh")
    assert fold(decomposed) == "giay khai sinh"


def test_offsets_point_back_into_the_text() -> None:
    text = "Sở Tư pháp"
    folded, offsets = fold_with_offsets(text)
    assert folded == "so tu phap"
    assert text[offsets[folded.index("tu")]] == "T"


def test_tokens_and_marks() -> None:
    assert tokens("Số 123/QĐ-UBND, ngày 12/9/2025") == ["số", "123", "qđ", "ubnd", "ngày", "12", "9", "2025"]
    assert has_marks("hồ sơ")
    assert not has_marks("HO SO")


def test_snippet_escapes_html_and_marks_whole_words() -> None:
    out = snippet("<b>hồ sơ</b> và hồ sơn", [["ho", "so"]])
    assert "&lt;b&gt;" in out
    assert out.count("<mark>") == 1  # "hồ sơn" is not "hồ sơ"


def test_offsets_hold_when_a_character_folds_to_nothing() -> None:
    # A stray combining mark (not composable with what precedes it) folds away: later offsets shift.
    text = "x\u0301 hồ sơ"
    folded, offsets = fold_with_offsets(text)
    assert folded == "x ho so"
    assert text[offsets[folded.index("ho")]] == "h"
    assert fold_with_offsets("Sở Tư pháp")[1][3] == 3
