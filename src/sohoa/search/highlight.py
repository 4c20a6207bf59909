"""Snippets with the matched words marked, in the text as written, whatever form the query was typed in."""

from __future__ import annotations

import html
from collections.abc import Sequence

from sohoa.search.folding import fold_with_offsets, words_in_a_row


def _find(folded: str, offsets: Sequence[int], words: list[str]) -> list[tuple[int, int]]:
    # Words in a row match across anything that is not a letter or digit (spaces, line breaks, "/", "-").
    found = words_in_a_row(tuple(words)).finditer(folded)
    return [(offsets[m.start()], offsets[m.end() - 1] + 1) for m in found]


def snippet(
    text: str,
    folded_groups: list[list[str]],
    *,
    phrase: list[str] | None = None,
    width: int = 220,
    folded: str | None = None,
) -> str:
    """A window of `text` around the best match, HTML-escaped, each matched word wrapped in <mark>.

    The window opens on the whole query standing together when the page has it, else on the first match.
    `folded`: the page's fold as the index keeps it, if it has it (search.folding.fold_with_offsets).
    """
    folded, offsets = fold_with_offsets(text, folded)
    spans = _merge(sorted(s for group in folded_groups for s in _find(folded, offsets, group)))
    if not spans:
        return html.escape(_clip(text, 0, width))
    together = _find(folded, offsets, phrase) if phrase and len(phrase) > 1 else []
    anchor = together[0][0] if together else spans[0][0]
    start = max(0, anchor - width // 3)
    start = _word_start(text, start)
    end = min(len(text), start + width)
    parts: list[str] = ["…" if start > 0 else ""]
    pos = start
    for s, e in spans:
        if s >= end:
            break
        if s < pos:
            continue
        parts.append(html.escape(text[pos:s]))
        parts.append(f"<mark>{html.escape(text[s:e])}</mark>")
        pos = e
    parts.append(html.escape(text[pos : max(end, pos)]))
    if end < len(text):
        parts.append("…")
    return " ".join("".join(parts).split())


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def _word_start(text: str, i: int) -> int:
    while 0 < i < len(text) and not text[i - 1].isspace():
        i -= 1
    return i


def _clip(text: str, start: int, width: int) -> str:
    out = text[start : start + width]
    return " ".join(out.split()) + ("…" if len(text) > start + width else "")
