"""A syllable-pair (bigram) model of administrative and legal Vietnamese: how likely a syllable is between
its neighbours.

Counts come from `data/vie-bigrams.txt`, built by scripts/build_ocr_language_data.py from about 18 million
running syllables of Vietnamese legal text (the codified laws and decrees, public) and the project's own
text; pairs seen fewer than three times are left out to keep the file small. The probability of a syllable
after another is Witten-Bell smoothed:

    P(w | p) = λ(p) · c(p, w) / c(p) + (1 - λ(p)) · P(w),    λ(p) = c(p) / (c(p) + T(p))

with T(p) the number of different syllables seen after p and P(w) the add-one unigram; a syllable between
two neighbours scores log P(w | previous) + log P(following | w), so both sides of a candidate count
("thành phố chủ", not "thành phó chủ"), and a syllable at a line's end or before punctuation only its left.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sohoa.ocr.syllables import attested, nfc

BIGRAMS_FILE = Path(__file__).with_name("data") / "vie-bigrams.txt"


@dataclass(frozen=True)
class PairModel:
    words: dict[str, int]
    pairs: dict[str, int]  # "previous word" -> count, one string a pair (half the memory of tuple keys)
    followers: dict[str, int]  # T(p): how many different syllables follow p
    total: int
    vocabulary: int

    def unigram(self, word: str) -> float:
        return (self.words.get(word, 0) + 1) / (self.total + self.vocabulary)

    def after(self, word: str, previous: str) -> float:
        """P(word | previous), Witten-Bell smoothed."""
        seen = self.words.get(previous, 0)
        kinds = self.followers.get(previous, 0)
        if not seen or not kinds:
            return self.unigram(word)
        weight = seen / (seen + kinds)
        return weight * self.pairs.get(f"{previous} {word}", 0) / seen + (1 - weight) * self.unigram(word)

    def score(self, word: str, previous: str | None, following: str | None) -> float:
        """log-probability of `word` between its neighbours (None at a line's end or across punctuation)."""
        fit = math.log(self.after(word, previous) if previous else self.unigram(word))
        if following:
            fit += math.log(self.after(following, word))
        return fit


@lru_cache(maxsize=1)
def model() -> PairModel:
    words: dict[str, int] = {}
    pairs: dict[str, int] = {}
    followers: dict[str, int] = {}
    with BIGRAMS_FILE.open(encoding="utf-8") as lines:
        for line in lines:
            parts = nfc(line).split()
            if len(parts) == 2:
                words[parts[0]] = int(parts[1])
            elif len(parts) == 3:
                pairs[f"{parts[0]} {parts[1]}"] = int(parts[2])
                followers[parts[0]] = followers.get(parts[0], 0) + 1
    vocabulary = len(attested() | words.keys())
    return PairModel(words, pairs, followers, sum(words.values()), vocabulary)
