"""OCR words grouped into lines that keep each word's place in the line's text, so that a pattern matched
in the text gives back the box of the words it covers (the evidence an extracted field carries)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sohoa.records.models import Box, ExtractedField, FieldName, Word, nfc


@dataclass(frozen=True, slots=True)
class Line:
    page: int
    words: tuple[Word, ...]
    text: str
    starts: tuple[int, ...]  # character offset of each word in `text`

    def box(self, start: int = 0, end: int | None = None) -> Box:
        end = len(self.text) if end is None else end
        chosen = [
            w for w, s in zip(self.words, self.starts, strict=True) if s < end and s + len(w.text) > start
        ] or list(self.words)
        return box_around(chosen)

    def part(self, words: Sequence[Word]) -> str:
        return " ".join(w.text for w in words)


def box_around(words: Sequence[Word] | Sequence[Box]) -> Box:
    left = min(w.left for w in words)
    top = min(w.top for w in words)
    right = max(w.left + w.width for w in words)
    bottom = max(w.top + w.height for w in words)
    return Box(left=left, top=top, width=right - left, height=bottom - top)


def make_line(page: int, words: Sequence[Word]) -> Line:
    starts, offset = [], 0
    for w in words:
        starts.append(offset)
        offset += len(w.text) + 1
    return Line(page, tuple(words), " ".join(w.text for w in words), tuple(starts))


def lines_of(page: int, words: Iterable[Word]) -> list[Line]:
    return [make_line(page, tuple(group)) for _, group in itertools.groupby(words, key=lambda w: w.line)]


def joined(first: Line, second: Line) -> Line:
    """Two lines read as one, for a phrase that wraps onto the next line."""
    return make_line(first.page, first.words + second.words)


def field_at(
    name: FieldName, value: str, line: Line, start: int = 0, end: int | None = None
) -> ExtractedField:
    return ExtractedField(name=name, value=nfc(value), page=line.page, box=line.box(start, end))


def is_upper(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)
