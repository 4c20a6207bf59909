"""Vietnamese folding: the form of text in which "hồ sơ", "HỒ SƠ" and "ho so" are the same words.

Folding is done here in Python, not by a search engine's analyzer, so that every backend (SQLite FTS5,
Elasticsearch without its analysis-common module) matches the same way. It works character by character
and keeps, for each folded character, the offset of the character it came from, so a match found in the
folded text can be highlighted in the text as written.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# đ/Đ is a letter of its own in Unicode (no decomposition to d + mark), so it needs an explicit mapping.
_SPECIAL = {"đ": "d", "Đ": "d"}
_TOKEN_RE = re.compile(r"[^\W_]+")


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    if ch in _SPECIAL:
        return _SPECIAL[ch]
    base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
    return base.lower()


def fold(text: str) -> str:
    """NFC, lower case, tone and vowel marks stripped, đ → d."""
    return "".join(_fold_char(c) for c in unicodedata.normalize("NFC", text))


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """Fold NFC `text`; offsets[i] is the index in `text` of the character folded into position i."""
    out: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        folded = _fold_char(ch)
        out.append(folded)
        offsets.extend([i] * len(folded))
    return "".join(out), offsets


def tokens(text: str) -> list[str]:
    """Words of `text` as the indexes see them: runs of letters and digits, lower case, NFC."""
    return _TOKEN_RE.findall(unicodedata.normalize("NFC", text).lower())


def has_marks(text: str) -> bool:
    """Whether the text carries Vietnamese marks, i.e. whether an exact match means more than a folded one."""
    return fold(text) != unicodedata.normalize("NFC", text).lower()
