"""Snippets with the matched words marked, in the text as written, whatever form the query was typed in."""

from __future__ import annotations

import html
import re

from sohoa.search.folding import fold_with_offsets


def snippet(text: str, folded_groups: list[list[str]], *, width: int = 220) -> str:
    """A window of `text` around the first match, HTML-escaped, each matched word wrapped in <mark>."""
    folded, offsets = fold_with_offsets(text)
    spans: list[tuple[int, int]] = []
    for group in folded_groups:
        # A phrase matches its words separated by anything that is not a letter or digit.
        pattern = r"[\W_]+".join(re.escape(w) for w in group)
        for m in re.finditer(rf"(?<![^\W_]){pattern}(?![^\W_])", folded):
            spans.append((offsets[m.start()], offsets[m.end() - 1] + 1))
    spans = _merge(sorted(spans))
    if not spans:
        return html.escape(_clip(text, 0, width))
    start = max(0, spans[0][0] - width // 3)
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
