"""A syllable-pair (bigram) model of administrative Vietnamese: how well a syllable fits its neighbours.

Counts come from `data/vie-bigrams.txt` (built by scripts/build_ocr_language_data.py from the project's
shipped text, about 4,700 running words). With so little text most pairs are never seen, so the score is
not a normalised probability (which would punish a common syllable for every pair the small text happens
to lack) but evidence that only adds up:

    fit(w) = log P(w) + PAIR_WEIGHT · (log(1 + c(prev, w)) + log(1 + c(w, next)))

with P(w) the add-one unigram over the written syllables: a syllable never seen in the text still has a
small prior, a common one a larger prior, and each pair the text holds adds to it.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sohoa.ocr.syllables import attested, nfc

BIGRAMS_FILE = Path(__file__).with_name("data") / "vie-bigrams.txt"
PAIR_WEIGHT = 2.0


@dataclass(frozen=True)
class PairModel:
    words: dict[str, int]
    pairs: dict[tuple[str, str], int]
    total: int
    vocabulary: int

    def unigram(self, word: str) -> float:
        return (self.words.get(word, 0) + 1) / (self.total + self.vocabulary)

    def score(self, word: str, previous: str | None, following: str | None) -> float:
        """fit(word) between its neighbours (None at a line's end or across punctuation)."""
        pairs = self.pairs.get((previous, word), 0) if previous else 0
        pairs_after = self.pairs.get((word, following), 0) if following else 0
        return math.log(self.unigram(word)) + PAIR_WEIGHT * (math.log1p(pairs) + math.log1p(pairs_after))

    def seen_pair(self, word: str, neighbours: Collection[str | None]) -> bool:
        return any(
            n is not None and (self.pairs.get((n, word)) or self.pairs.get((word, n))) for n in neighbours
        )


@lru_cache(maxsize=1)
def model() -> PairModel:
    words: dict[str, int] = {}
    pairs: dict[tuple[str, str], int] = {}
    for line in BIGRAMS_FILE.read_text(encoding="utf-8").splitlines():
        parts = nfc(line).split()
        if len(parts) == 2:
            words[parts[0]] = int(parts[1])
        elif len(parts) == 3:
            pairs[(parts[0], parts[1])] = int(parts[2])
    vocabulary = len(attested() | words.keys())
    return PairModel(words, pairs, sum(words.values()), vocabulary)
