"""Okapi BM25 in Python over a bounded set of candidate pages, for the embedded (SQLite) index.

FTS5's own bm25() walks the whole posting list of every query phrase to count its documents, on every
query and again for every row of an `IN` list: at 100,000 pages a common word costs more than the whole
search may take. The embedded index therefore lets FTS5 find and count the matches, and ranks here a
window of candidates from the words of each page, stored folded, each word between two spaces so that
counting " word " with str.count (C speed) finds every occurrence, and a phrase is one pattern.

The score follows the rules every backend shares (search.base): each query group scores BM25 on the
folded words (a phrase group as one term, its IDF the sum of its words', as Lucene does); all the words
side by side in the order typed add PHRASE_BOOST times their own score; a page holding every group as
written (with its diacritics) adds EXACT_BOOST times its folded score.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from sohoa.search.base import EXACT_BOOST, PHRASE_BOOST, ParsedQuery
from sohoa.search.folding import fold, tokens

K1 = 1.2
B = 0.75
_GAP = "  "


def word_string(text: str) -> str:
    """The folded words of `text`, each between two spaces: what the index stores and ranks on."""
    return _GAP + _GAP.join(tokens(fold(text))) + _GAP


# Joins two folded words into one token of the pairs column. It is a letter (FTS5's tokenizer keeps it inside
# a token) that no Vietnamese text uses, so "ho" + "so" never meets a real word.
PAIR_JOIN = "\u01c2"


def pair_string(words: str) -> str:
    """Each two neighbouring words of a word string as one token: a two-word phrase becomes one lookup."""
    ws = words.split()
    return " ".join(a + PAIR_JOIN + b for a, b in itertools.pairwise(ws))


def pattern(words: list[str]) -> str:
    """What str.count looks for in a word string to count `words` standing together."""
    return " " + _GAP.join(words) + " "


def idf(df: int, pages: int) -> float:
    """BM25's inverse document frequency (never negative: a word on every page still counts a little)."""
    return math.log(1 + (pages - df + 0.5) / (df + 0.5))


@dataclass(frozen=True)
class Term:
    pattern: str
    weight: float  # IDF times the term's boost


@dataclass(frozen=True)
class Scorer:
    """The query's terms with their weights, and the collection's mean word-string length."""

    groups: tuple[Term, ...]
    together: Term | None  # the whole query side by side, when it has several groups
    mean_length: float

    def score(self, words: str, exact: bool) -> float:
        # Called for every candidate page (thousands per query): plain loops, no helper calls.
        norm = K1 * (1 - B + B * len(words) / self.mean_length)
        folded = 0.0
        for term in self.groups:
            tf = words.count(term.pattern)
            folded += term.weight * tf * (K1 + 1) / (tf + norm)
        score = folded * (1 + EXACT_BOOST) if exact else folded
        if self.together is not None and (tf := words.count(self.together.pattern)):
            score += self.together.weight * tf * (K1 + 1) / (tf + norm)
        return score


def scorer(parsed: ParsedQuery, word_idf: dict[str, float], mean_length: float) -> Scorer:
    """`word_idf` holds the IDF of every folded word of the query."""
    groups = tuple(Term(pattern(g), sum(word_idf[w] for w in g)) for g in parsed.folded)
    together = None
    if len(parsed.folded) > 1:
        words = parsed.whole_phrase
        together = Term(pattern(words), PHRASE_BOOST * sum(word_idf[w] for w in words))
    return Scorer(groups, together, max(mean_length, 1.0))
