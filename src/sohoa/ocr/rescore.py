"""Correct the recognizer's tone and vowel-mark slips: candidate readings of a word, scored, the best kept.

For each word that is a single Vietnamese syllable (letters only, not an abbreviation of the administrative
word list), the candidates are
- the readings Tesseract itself weighed: at most two characters swapped for one of their `lstm_choices`
  alternatives (ocr.alternatives), and
- the same bare letters with other tone and vowel marks (ocr.syllables.mark_variants: "truyễn" -> truyền),
and of these only valid syllables are kept. Each is scored

    score = fit(candidate between its neighbours)   (ocr.wordpairs)
            - Σ over changed characters of (confidence of the read character - confidence of the candidate's
              character among the alternatives, 0 when not listed) / TEMPERATURE

and the rule for replacing the reading is:
- a reading that is not a valid syllable gives way to the best valid candidate, whatever its score, unless
  it is in capitals (an abbreviation the word list lacks: "TT", "VT");
- a valid reading with word confidence under CONFIDENT gives way when a candidate scores MARGIN more;
- a confident valid reading gives way only when the candidate adds what the recognizer tends to drop — a
  tone mark on a toneless reading ("phô" -> phố, "tô" -> tổ), a vowel mark ("phó" -> phố), the stroke
  of đ or d — and scores CONFIDENT_MARGIN more. A confident reading whose tone would be taken away or
  swapped stays: on the real scans (bench/ocr_real.py) such changes were wrong three times in four
  ("tụ" -> tư, "tà" -> ta, "vì" -> vị), while the mark-adding ones were right four times in five.
A changed word keeps the reading and confidence Tesseract gave it (`Word.ocr_text`, `Word.ocr_confidence`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from sohoa.ocr import syllables
from sohoa.ocr.alternatives import CharChoice, WordChoices
from sohoa.ocr.tesseract import ADMIN_WORDS
from sohoa.ocr.wordpairs import PairModel, model
from sohoa.records.models import Word

TEMPERATURE = 10.0
MARK_COST = 3.0
CONFIDENT = 90.0
MARGIN = 1.0
CONFIDENT_MARGIN = 2.0
# Edits a confident reading may undergo: what the recognizer drops, never what it rarely adds.
_DROPPED = frozenset({"tone+", "mark", "d"})
_MAX_SWAPS = 2
_CLOSING = ",.;:!?)]}\"'”’…"
_OPENING = "([{\"'“‘"


@dataclass(frozen=True, slots=True)
class _Token:
    head: str  # punctuation before the syllable
    core: str  # the letters
    tail: str  # punctuation after

    @property
    def alpha(self) -> bool:
        return self.core.isalpha()


def _split(text: str) -> _Token:
    start, end = 0, len(text)
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return _Token(text[:start], text[start:end], text[end:])


def _admin_words() -> frozenset[str]:
    return frozenset(ADMIN_WORDS.read_text(encoding="utf-8").split())


ADMIN = _admin_words()


def _same_case(word: str, like: str) -> str:
    if like.isupper() and len(like) > 1:
        return word.upper()
    if like[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def _cost(char: CharChoice, candidate: str) -> float:
    """What the recognizer's own scores say against putting `candidate` where it read `char`."""
    listed = {alt.lower(): conf for alt, conf in reversed(char.alternatives)}
    read = listed.get(char.text.lower(), char.confidence)
    return max(0.0, (read - listed.get(candidate, 0.0)) / TEMPERATURE)


def _from_alternatives(core: str, chars: Sequence[CharChoice]) -> set[str]:
    options = [
        # An alternative at 0 is one the recognizer ruled out; a mark slip it did not weigh is still
        # a candidate through mark_variants, at MARK_COST.
        [a.lower() for a, conf in c.alternatives if conf > 0 and a.isalpha() and a.lower() != c.text.lower()]
        for c in chars
    ]
    found: set[str] = set()
    for count in range(1, _MAX_SWAPS + 1):
        for places in itertools.combinations([i for i, o in enumerate(options) if o], count):
            for picks in itertools.product(*(options[i] for i in places)):
                letters = list(core)
                for i, pick in zip(places, picks, strict=True):
                    letters[i] = pick
                found.add(syllables.nfc("".join(letters)))
    return found


def _ocr_cost(core: str, candidate: str, chars: Sequence[CharChoice] | None) -> float:
    cost = 0.0
    for i, (a, b) in enumerate(zip(core, candidate, strict=True)):
        if a != b:
            cost_here = _cost(chars[i], b) if chars else 100.0 / TEMPERATURE
            if syllables.skeleton(a) == syllables.skeleton(b):
                cost_here = min(cost_here, MARK_COST)
            cost += cost_here
    return cost


def best_reading(
    core: str,
    confidence: float,
    chars: Sequence[CharChoice] | None,
    previous: str | None,
    following: str | None,
    pairs: PairModel,
) -> str:
    """The lowercase reading to keep for the lowercase syllable `core` (itself when nothing beats it)."""
    candidates = set(syllables.mark_variants(core))
    if chars is not None and len(chars) == len(core):
        candidates |= _from_alternatives(core, chars)
    else:
        chars = None
    candidates = {c for c in candidates if len(c) == len(core) and c != core and syllables.is_valid(c)}
    if not candidates:
        return core

    def score(word: str) -> float:
        return pairs.score(word, previous, following) - _ocr_cost(core, word, chars)

    best = max(sorted(candidates), key=score)
    if not syllables.is_valid(core):
        return best
    gain = score(best) - score(core)
    if confidence < CONFIDENT:
        return best if gain >= MARGIN else core
    return best if gain >= CONFIDENT_MARGIN and edits(core, best) <= _DROPPED else core


def edits(reading: str, candidate: str) -> set[str]:
    """What turning `reading` into `candidate` changes: "tone+" (a tone on a toneless syllable), "tone-"
    (a tone taken away), "tone~" (one tone for another), "mark" (a vowel's circumflex, breve or horn),
    "d" (đ for d or back), "letter" (anything else)."""
    base, tone = syllables.split_tone(reading)
    other_base, other_tone = syllables.split_tone(candidate)
    kinds: set[str] = set()
    if tone != other_tone:
        kinds.add("tone+" if tone is None else "tone-" if other_tone is None else "tone~")
    if base != other_base:
        if base.replace("đ", "d") == other_base.replace("đ", "d"):
            kinds.add("d")
        elif syllables.skeleton(base) == syllables.skeleton(other_base):
            kinds.add("mark")
        else:
            kinds.add("letter")
    return kinds


def _in_names(tokens: Sequence[_Token]) -> set[int]:
    """Places of the words in a run of three or more capitalised words: a person's full name ("Phạm
    Trường Thọ"), or a proper name of the same kind ("Hội Thánh Đức Chúa Trời")."""
    titled = [t.alpha and t.core[:1].isupper() and t.core[1:].islower() for t in tokens]
    places: set[int] = set()
    start = 0
    for i in range(len(tokens) + 1):
        if i == len(tokens) or not titled[i]:
            if i - start >= 3:
                places.update(range(start, i))
            start = i + 1
    return places


def correct(words: Sequence[Word], choices: dict[tuple[int, int, int, int], WordChoices]) -> list[Word]:
    """The page's words with slips corrected, in the same order and boxes; a changed word carries the
    recognizer's reading and confidence in `ocr_text` and `ocr_confidence`."""
    pairs = model()
    out: list[Word] = []
    for _, group in itertools.groupby(words, key=lambda w: w.line):
        line = list(group)
        tokens = [_split(w.text) for w in line]
        names = _in_names(tokens)
        for i, (word, token) in enumerate(zip(line, tokens, strict=True)):
            # A capitalised non-syllable is an abbreviation the word list lacks ("TT", "VT"); a single
            # letter is a list marker ("c)") as often as a word; a confident syllable of a name is the
            # name ("Trương Hòa Bình", not "Trường": no corpus knows whom a paper names).
            abbreviation = token.core.isupper() and not syllables.is_valid(token.core)
            named = i in names and word.confidence >= CONFIDENT and syllables.is_valid(token.core)
            if (
                not token.alpha
                or token.core in ADMIN
                or not 1 < len(token.core) <= 7
                or abbreviation
                or named
            ):
                out.append(word)
                continue
            before = out[-1] if i else None
            previous = None
            if before is not None and tokens[i - 1].alpha and not tokens[i - 1].tail and not token.head:
                previous = _split(before.text).core.lower()
            following = None
            if i + 1 < len(line) and tokens[i + 1].alpha and not token.tail and not tokens[i + 1].head:
                following = tokens[i + 1].core.lower()
            found = choices.get((word.left, word.top, word.left + word.width, word.top + word.height))
            chars = found.chars[len(token.head) : len(found.chars) - len(token.tail)] if found else None
            core = token.core.lower()
            reading = best_reading(core, word.confidence, chars, previous, following, pairs)
            if reading == core:
                out.append(word)
                continue
            text = token.head + _same_case(reading, token.core) + token.tail
            out.append(
                word.model_copy(
                    # What Tesseract wrote, when an earlier step (ocr.glyphs) has changed it already.
                    update={
                        "text": text,
                        "ocr_text": word.ocr_text or word.text,
                        "ocr_confidence": word.confidence,
                    }
                )
            )
    return out
