"""Vietnamese prose for sample pages: the shared news samples when present, else a text shipped here.

The shared samples are scraped web pages, so only real prose lines are kept: long, mostly letters, with
Vietnamese marks; menus, link lists and error strings are dropped.
"""

from __future__ import annotations

import os
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

_PACKAGED = Path(__file__).with_name("data") / "vi-sample.txt"
_MIN_LINE = 40


def _samples_dir() -> Path | None:
    if configured := os.environ.get("SOHOA_SAMPLES_DIR"):
        return Path(configured)
    candidates = [Path.cwd().parent / "shared" / "samples"]
    # A checkout sits beside ../shared/samples: look from the repository this module lives in.
    candidates += [parent.parent / "shared" / "samples" for parent in Path(__file__).resolve().parents]
    return next((c for c in candidates if c.is_dir() and any(c.glob("*.txt"))), None)


def _is_prose(line: str) -> bool:
    if len(line) < _MIN_LINE:
        return False
    letters = sum(c.isalpha() for c in line)
    if letters / len(line) < 0.7:
        return False
    return any(unicodedata.decomposition(c) for c in line if c.isalpha() and not c.isascii())


def clean_lines(text: str) -> list[str]:
    lines = []
    for raw in text.splitlines():
        line = " ".join(unicodedata.normalize("NFC", raw).split())
        if _is_prose(line):
            lines.append(line)
    return lines


@lru_cache(maxsize=1)
def _load() -> tuple[str, ...]:
    folder = _samples_dir()
    paragraphs: list[str] = []
    if folder is not None:
        for path in sorted(folder.glob("*.txt")):
            paragraphs.extend(clean_lines(path.read_text(encoding="utf-8", errors="replace")))
    if not paragraphs:
        paragraphs = clean_lines(_PACKAGED.read_text(encoding="utf-8"))
    # Boilerplate like "Đăng ngày: 30/11/2018" is short; stray markup is not prose either.
    return tuple(p for p in paragraphs if not re.search(r"[<>{}|@]", p))


def sample_texts() -> list[str]:
    """Paragraphs of real Vietnamese prose, NFC."""
    return list(_load())
