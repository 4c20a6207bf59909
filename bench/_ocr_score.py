"""How the OCR benchmarks score a reading against its truth: error rates and word recall.

Word recall is order-free (a bag of words): the share of the truth's words the reading has, each counted
at most as often as the reading has it, so a page read in another column order is not punished. "Folded"
recall compares the words after `sohoa.search.folding.fold` (no tone or vowel marks, đ → d): what a
search without diacritics sees.
"""

from __future__ import annotations

import unicodedata
from collections import Counter

import jiwer

from sohoa.search.folding import fold

# Punctuation around a word is not part of it: "2019;" is the word "2019".
_EDGES = "\"'“”‘’()[]{}<>.,;:!?…*|-–—_/\\"


def norm(text: str) -> str:
    """NFC, runs of white space made one space, ends trimmed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def error_rates(texts: list[str], truth: list[str]) -> tuple[float, float]:
    """Character and word error rates over the pages whose truth is not empty."""
    pairs = [(norm(t), norm(h)) for t, h in zip(truth, texts, strict=True) if t]
    refs, hyps = [p[0] for p in pairs], [p[1] for p in pairs]
    return jiwer.cer(refs, hyps), jiwer.wer(refs, hyps)


def words(text: str, *, folded: bool = False) -> list[str]:
    """The words of `text`, lower case, without the punctuation around them (folded if asked)."""
    text = norm(text).lower()
    if folded:
        text = fold(text)
    out = (w.strip(_EDGES) for w in text.split())
    return [w for w in out if w]


def word_counts(truth: str, reading: str, *, folded: bool = False) -> tuple[int, int]:
    """(truth words found in the reading, truth words): the bag-of-words recall's numerator and
    denominator."""
    want, have = Counter(words(truth, folded=folded)), Counter(words(reading, folded=folded))
    return sum(min(n, have[w]) for w, n in want.items()), sum(want.values())


def recall(truth: str, reading: str, *, folded: bool = False) -> float:
    found, total = word_counts(truth, reading, folded=folded)
    return found / total if total else 1.0
