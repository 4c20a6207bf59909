"""Tesseract's per-character alternatives: with `lstm_choice_mode=2`, the characters the recognizer weighed at
each place of a word, best first, each with its confidence (0-100; 0 when far behind). A mark slip shows up
there: a word read "tâm" lists "â 87, ầ 71" at its second character. ocr.tesseract reads them from the same
recognition run as the words; ocr.rescore weighs them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CharChoice:
    text: str  # the character chosen
    confidence: float  # the recognizer's, for this character
    # (character, confidence), best first; the chosen one included
    alternatives: tuple[tuple[str, float], ...]


@dataclass(frozen=True, slots=True)
class WordChoices:
    # The word's left, top, right, bottom: RecognizedWord's left, top, left + width, top + height.
    box: tuple[int, int, int, int]
    chars: tuple[CharChoice, ...]

    @property
    def text(self) -> str:
        return "".join(c.text for c in self.chars)


def by_box(words: list[WordChoices]) -> dict[tuple[int, int, int, int], WordChoices]:
    """The choices of each word keyed by its box, to find a recognized word's (both come from one run)."""
    return {w.box: w for w in words}
