"""Snippets cut with the page's fold as the index keeps it (Elasticsearch sends it with the page): the same
snippet as folding again, and a kept fold that is not the text's own is not trusted."""

from __future__ import annotations

import unicodedata

from sohoa.search.base import parse_query
from sohoa.search.folding import fold
from sohoa.search.highlight import snippet

PAGE = (
    "Ủy ban nhân dân phường Bến Nghé xác nhận hồ sơ đăng ký thường trú của ông Nguyễn Văn Đức, "
    "sinh năm 1980; hồ sơ gồm giấy khai sinh và căn cước công dân. " * 4
)


def _both(text: str, query: str) -> tuple[str, str]:
    parsed = parse_query(query)
    kept = snippet(text, parsed.folded, phrase=parsed.whole_phrase, folded=fold(text))
    return kept, snippet(text, parsed.folded, phrase=parsed.whole_phrase)


def test_the_kept_fold_gives_the_same_snippet_as_folding_again() -> None:
    for query in ("ho so", "Đức", '"thuong tru"', "can cuoc nguyen"):
        kept, again = _both(PAGE, query)
        assert kept == again and "<mark>" in kept


def test_a_kept_fold_of_text_not_in_nfc_is_not_trusted() -> None:
    # The index folds the NFC form, shorter than decomposed text: its offsets would mark the wrong letters.
    decomposed = unicodedata.normalize("NFD", PAGE)
    kept, again = _both(decomposed, "Đức")
    assert kept == again and "<mark>Đức</mark>" in unicodedata.normalize("NFC", kept)


def test_a_kept_fold_of_text_with_an_odd_character_is_not_trusted() -> None:
    # A mark standing alone folds to nothing: the fold is not one character per character of the text.
    odd = "x\u0301 Ω " + PAGE
    kept, again = _both(odd, "ho so")
    assert kept == again and "<mark>hồ</mark> <mark>sơ</mark>" in kept
