"""A syllable-pair (bigram) model of administrative and legal Vietnamese: how likely a syllable is between
its neighbours.

Counts come from `data/vie-bigrams.txt`, built by scripts/build_ocr_language_data.py from about 18 million
running syllables of Vietnamese legal text (the codified laws and decrees, public) and the project's own
text; pairs seen fewer than three times are left out to keep the file small, and a pair far rarer than its
spelling with other marks is counted as that spelling (a slip of the corpus: "thâm quyên"). The probability
of a syllable after another is Witten-Bell smoothed over what the file keeps:
    P(w | p) = c(p, w) / (c(p) + T(p)) + (1 - K(p) / (c(p) + T(p))) · P(w)
with T(p) the number of different syllables seen after p in the kept pairs, K(p) the occurrences those
pairs hold and P(w) the add-one unigram (the occurrences in pairs left out go to the unigram). A syllable
between two neighbours scores log P(w | previous) + log P(following | w), so both sides of a candidate
count ("thành phố chủ", not "thành phó chủ"); at a line's end or before punctuation only its left.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from sohoa.ocr.syllables import attested

BIGRAMS_FILE = Path(__file__).with_name("data") / "vie-bigrams.txt"


@dataclass(frozen=True)
class PairModel:
    words: dict[str, int]
    ids: dict[str, int]  # each counted word's place in `followers`
    # The pairs as sorted keys (id(previous) << 20 | id(word)) beside their counts: a quarter of a
    # million pairs in 3 MB, where a dict of them held 20 MB in every page worker and took 1.4 s to build.
    keys: np.ndarray
    counts: np.ndarray
    followers: np.ndarray  # T(p) by id: how many different syllables follow p
    kept: np.ndarray  # by id: how many of p's occurrences are followed by a syllable of a shipped pair
    total: int
    vocabulary: int

    def unigram(self, word: str) -> float:
        return (self.words.get(word, 0) + 1) / (self.total + self.vocabulary)

    def pair(self, previous: str, word: str) -> int:
        a, b = self.ids.get(previous), self.ids.get(word)
        if a is None or b is None:
            return 0
        key = (a << _SHIFT) | b
        at = int(np.searchsorted(self.keys, key))
        return int(self.counts[at]) if at < len(self.keys) and self.keys[at] == key else 0

    def after(self, word: str, previous: str) -> float:
        """P(word | previous), Witten-Bell smoothed."""
        seen = self.words.get(previous, 0)
        place = self.ids.get(previous)
        kinds = int(self.followers[place]) if place is not None else 0
        if not seen or not kinds:
            return self.unigram(word)
        # What the shipped pairs do not hold of p's occurrences (pairs seen once or twice were left out,
        # and p ends lines) goes to the unigram with the Witten-Bell share: a word whose few pairs were
        # all left out has no evidence against any follower, not evidence for all of them.
        # Pairs merged from their slips (merge_slips in the build script) may hold more than p's own count.
        kept = int(self.kept[place])  # type: ignore[index]
        spread = max(seen, kept) + kinds
        rest = 1.0 - kept / spread
        return self.pair(previous, word) / spread + rest * self.unigram(word)

    def score(self, word: str, previous: str | None, following: str | None) -> float:
        """log-probability of `word` between its neighbours (None at a line's end or across punctuation)."""
        fit = math.log(self.after(word, previous) if previous else self.unigram(word))
        if following:
            fit += math.log(self.after(following, word))
        return fit


_SHIFT = 20


@lru_cache(maxsize=1)
def model() -> PairModel:
    # The file lists every word before any pair, in NFC (scripts/build_ocr_language_data.py): one pass.
    words: dict[str, int] = {}
    ids: dict[str, int] = {}
    keys, counts = array("q"), array("i")
    for line in BIGRAMS_FILE.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 2:
            ids[parts[0]] = len(ids)
            words[parts[0]] = int(parts[1])
        elif len(parts) == 3:
            keys.append((ids[parts[0]] << _SHIFT) | ids[parts[1]])
            counts.append(int(parts[2]))
    key_array = np.frombuffer(keys, dtype=np.int64)
    order = np.argsort(key_array, kind="stable")
    count_array = np.frombuffer(counts, dtype=np.int32)
    followers = np.bincount(key_array >> _SHIFT, minlength=len(ids)).astype(np.int32)
    kept = np.bincount(key_array >> _SHIFT, weights=count_array, minlength=len(ids)).astype(np.int64)
    vocabulary = len(attested() | words.keys())
    return PairModel(
        words, ids, key_array[order], count_array[order], followers, kept,
        sum(words.values()), vocabulary,
    )  # fmt: skip
