"""Tesseract's per-character alternatives, read from the hOCR of the same recognition run.

With `-c lstm_choice_mode=2 -c hocr_char_boxes=1` Tesseract 5 writes, inside each `ocrx_word`, one span per
character it chose (`x_bboxes ...; x_conf C`) followed by a `lstm_choices` span listing the characters it
weighed at that place, best first, each with `x_confs` (0-100; 0 when far behind). A mark slip shows up
there: a word read "tâm" lists "â 87, ầ 71" at its second character.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

_WORD = re.compile(
    r"<span class='ocrx_word' id='[^']*' title='bbox (\d+) (\d+) (\d+) (\d+); x_wconf [\d.-]+'>"
)
_CHAR = re.compile(
    r"<span class='ocrx_cinfo' title='x_bboxes [^;']*; x_conf ([\d.]+)'>([^<]*)</span>"
    r"|<span class='ocrx_cinfo' id='choice_[^']*' title='x_confs ([\d.]+)'>([^<]*)</span>"
)


@dataclass(frozen=True, slots=True)
class CharChoice:
    text: str  # the character chosen
    confidence: float  # its x_conf
    alternatives: tuple[tuple[str, float], ...]  # (character, x_confs), best first; the chosen one included


@dataclass(frozen=True, slots=True)
class WordChoices:
    box: tuple[int, int, int, int]  # left, top, right, bottom, as the TSV's left/top/left+width/top+height
    chars: tuple[CharChoice, ...]

    @property
    def text(self) -> str:
        return "".join(c.text for c in self.chars)


def parse_hocr(hocr: str) -> list[WordChoices]:
    """Every word of the page with its characters' choices, in reading order."""
    words: list[WordChoices] = []
    matches = list(_WORD.finditer(hocr))
    for n, match in enumerate(matches):
        end = matches[n + 1].start() if n + 1 < len(matches) else len(hocr)
        chars: list[tuple[str, float, list[tuple[str, float]]]] = []
        for found in _CHAR.finditer(hocr, match.end(), end):
            if found.group(2) is not None:
                chars.append((html.unescape(found.group(2)), float(found.group(1)), []))
            elif chars:
                chars[-1][2].append((html.unescape(found.group(4)), float(found.group(3))))
        box = tuple(int(match.group(i)) for i in range(1, 5))
        words.append(
            WordChoices(
                box,  # type: ignore[arg-type]
                tuple(CharChoice(text, conf, tuple(alts)) for text, conf, alts in chars),
            )
        )
    return words


def by_box(words: list[WordChoices]) -> dict[tuple[int, int, int, int], WordChoices]:
    """The choices of each word keyed by its box, to find those of a TSV word (both come from one run)."""
    return {w.box: w for w in words}
