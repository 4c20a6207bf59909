"""Correct the recognizer's tone and vowel-mark slips: candidate readings of a word, scored, the best kept.

For each word that is a single Vietnamese syllable (letters only, not an abbreviation of the administrative
word list), the candidates are
- the readings Tesseract itself weighed: at most two characters swapped for one of their `lstm_choices`
  alternatives (ocr.alternatives), and
- the same bare letters with other tone and vowel marks (ocr.syllables.mark_variants: "truyễn" -> truyền),
and of these only valid syllables are kept. A candidate costs what the recognizer's own scores say against it
(Σ over changed characters of (confidence of the read character - confidence of the candidate's character
among the alternatives, 0 when not listed) / TEMPERATURE, at most MARK_COST for a mark), plus a bar:
- none when the reading is not a valid syllable (it must give way, unless it is in capitals no syllable
  could be spelt with: an abbreviation the word list lacks, "TT");
- MARGIN when Tesseract was unsure of the word (confidence under CONFIDENT);
- CONFIDENT_MARGIN for a confident reading, and then only for what the recognizer tends to drop: a tone
  mark on a toneless reading ("phô" -> phố, "tô" -> tổ), a vowel mark ("phó" -> phố), the stroke of đ. A
  confident reading whose tone would be taken away or swapped stays: on the real scans (bench/ocr_real.py)
  such changes were wrong three times in four ("tụ" -> tư, "tà" -> ta, "vì" -> vị), while the mark-adding
  ones were right four times in five.
Each run of words not broken by punctuation is then read as a whole: the choice of one reading per word
that maximises Σ log P(word | previous word) (ocr.wordpairs) - Σ costs (Viterbi), so two slips side by
side ("một sô điêu" -> một số điều) are mended together, each the context of the other.
A changed word keeps the reading and confidence Tesseract gave it (`Word.ocr_text`, `Word.ocr_confidence`).
"""

from __future__ import annotations

import itertools
import math
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


def options(core: str, confidence: float, chars: Sequence[CharChoice] | None) -> list[tuple[str, float]]:
    """The readings the lowercase syllable `core` may take, each with its cost; the reading itself first
    (cost 0) unless it is no valid syllable and something valid is on offer."""
    candidates = set(syllables.mark_variants(core))
    if chars is not None and len(chars) == len(core):
        candidates |= _from_alternatives(core, chars)
    else:
        chars = None
    candidates = {c for c in candidates if len(c) == len(core) and c != core and syllables.is_valid(c)}
    if not syllables.is_valid(core):
        found = [(c, _ocr_cost(core, c, chars)) for c in sorted(candidates)]
        return found or [(core, 0.0)]
    if confidence < CONFIDENT:
        bar, allowed = MARGIN, candidates
    else:
        bar, allowed = CONFIDENT_MARGIN, {c for c in candidates if edits(core, c) <= _DROPPED}
    return [(core, 0.0)] + [(c, _ocr_cost(core, c, chars) + bar) for c in sorted(allowed)]


def decode(run: Sequence[Sequence[tuple[str, float]]], pairs: PairModel) -> list[str]:
    """The best reading of each place of a run of words (Viterbi over log P(w | previous) - cost)."""
    best: dict[str, tuple[float, list[str]]] = {
        w: (math.log(pairs.unigram(w)) - cost, [w]) for w, cost in run[0]
    }
    for place in run[1:]:
        step: dict[str, tuple[float, list[str]]] = {}
        for w, cost in place:
            score, path = max(
                ((s + math.log(pairs.after(w, prev)), path) for prev, (s, path) in best.items()),
                key=lambda sp: sp[0],
            )
            step[w] = (score - cost, [*path, w])
        best = step
    return max(best.values(), key=lambda sp: sp[0])[1]


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


def correct(
    words: Sequence[Word],
    choices: dict[tuple[int, int, int, int], WordChoices],
    paragraphs: Sequence[object] | None = None,
) -> list[Word]:
    """The page's words with slips corrected, in the same order and boxes; a changed word carries the
    recognizer's reading and confidence in `ocr_text` and `ocr_confidence`.

    `paragraphs` gives each word's paragraph (any key, equal for the words of one): a run of words then
    goes on across the lines of its paragraph, so the last word of a line is the context of the first of
    the next ("mạnh / mẽ tại": alone at the start of its line, "mẽ" had given way to the commoner "mẹ").
    Without it, each line is a paragraph."""
    pairs = model()
    keys = paragraphs if paragraphs is not None else [w.line for w in words]
    indexed = list(zip(keys, words, strict=True))
    out: list[Word] = []
    for _, group in itertools.groupby(indexed, key=lambda kw: kw[0]):
        out.extend(_corrected(pairs, [w for _, w in group], choices))
    return out


def _corrected(
    pairs: PairModel, words: list[Word], choices: dict[tuple[int, int, int, int], WordChoices]
) -> list[Word]:
    """One paragraph's words, corrected run by run."""
    tokens = [_split(w.text) for w in words]
    names: set[int] = set()
    for _, line in itertools.groupby(range(len(words)), key=lambda i: words[i].line):
        places_of_line = list(line)
        names.update(places_of_line[0] + i for i in _in_names([tokens[j] for j in places_of_line]))
    places = [_place(w, t, i in names, choices) for i, (w, t) in enumerate(zip(words, tokens, strict=True))]
    readings: list[str | None] = [None] * len(words)
    start = 0
    for i in range(len(words)):
        # A run ends at a word that is no syllable or at punctuation between two words.
        ends = i + 1 == len(words) or places[i + 1] is None or tokens[i].tail or tokens[i + 1].head
        if places[i] is None:
            start = i + 1
        elif ends:
            readings[start : i + 1] = decode(places[start : i + 1], pairs)  # type: ignore[arg-type]
            start = i + 1
    out: list[Word] = []
    for word, token, reading in zip(words, tokens, readings, strict=True):
        if reading is None or reading == token.core.lower():
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


def _spelt_like(core: str) -> bool:
    """Whether other marks on the same letters make a syllable: capitals that do ("QUYÉT" for QUYẾT) are a
    heading's misread word, not an abbreviation."""
    return any(syllables.is_valid(v) for v in syllables.mark_variants(core))


def _place(
    word: Word, token: _Token, named: bool, choices: dict[tuple[int, int, int, int], WordChoices]
) -> list[tuple[str, float]] | None:
    """The readings a word may take in its run; None for what is no syllable (it breaks the run)."""
    if not token.alpha:
        return None
    core = token.core.lower()
    # Capitals no syllable could be spelt with, whatever their marks, are an abbreviation the word list
    # lacks ("TT", "VT"; a heading's "ĐÓC" and "QUYÉT" are slips, spelt like one); a single letter is a
    # list marker ("c)") as often as a word; a confident syllable of a name is the name ("Trương Hòa
    # Bình", not "Trường": no corpus knows whom a paper names). They stay as read, and are context for
    # their neighbours.
    abbreviation = token.core.isupper() and not syllables.well_formed(token.core) and not _spelt_like(core)
    confident_name = named and word.confidence >= CONFIDENT and syllables.is_valid(core)
    if token.core in ADMIN or not 1 < len(core) <= 7 or abbreviation or confident_name:
        return [(core, 0.0)]
    found = choices.get((word.left, word.top, word.left + word.width, word.top + word.height))
    chars = found.chars[len(token.head) : len(found.chars) - len(token.tail)] if found else None
    return options(core, word.confidence, chars)
