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
    alternatives: tuple[
        tuple[str, float], ...
    ]  # (character, confidence), best first; the chosen one included


@dataclass(frozen=True, slots=True)
class WordChoices:
    box: tuple[
        int, int, int, int
    ]  # left, top, right, bottom: the word's box, as RecognizedWord's left/top/left+width/top+height
    chars: tuple[CharChoice, ...]

    @property
    def text(self) -> str:
        return "".join(c.text for c in self.chars)


def by_box(words: list[WordChoices]) -> dict[tuple[int, int, int, int], WordChoices]:
    """The choices of each word keyed by its box, to find a recognized word's (both come from one run)."""
    return {w.box: w for w in words}
