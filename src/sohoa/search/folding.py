"""Vietnamese folding: the form of text in which "hồ sơ", "HỒ SƠ" and "ho so" are the same words.

Folding is done here in Python, not by a search engine's analyzer, so that every backend (SQLite FTS5,
Elasticsearch without its analysis-common module) matches the same way. It works character by character
and keeps, for each folded character, the offset of the character it came from, so a match found in the
folded text can be highlighted in the text as written.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
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


# The fold of each character, as a plain dict: str.translate looks a plain dict up at C speed, twice as fast
# as a dict subclass filling itself on a miss. Filled up front for Latin letters with their Vietnamese marks
# (each folds to one letter); any other character is added the first time a text brings it.
_TABLE: dict[int, str] = {}
_UNEVEN: set[str] = set()  # characters seen that fold to none or to several (a stray combining mark)
_RANGES = [(0, 0x24F), (0x1E00, 0x1EFF)]
_added: list[str] = []  # characters outside _RANGES in the table
_unseen = re.compile("x")  # matches a character not yet in the table; set by _add


def _add(chars: set[str] | range) -> None:
    global _unseen
    for ch in map(chr, chars) if isinstance(chars, range) else chars:
        folded = _TABLE[ord(ch)] = _fold_char(ch)
        if len(folded) != 1:
            _UNEVEN.add(ch)
        if isinstance(chars, set):
            _added.append(ch)
    known = "".join(f"{re.escape(chr(lo))}-{re.escape(chr(hi))}" for lo, hi in _RANGES)
    _unseen = re.compile(f"[^{known}{''.join(map(re.escape, _added))}]")


for _lo, _hi in _RANGES:
    _add(range(_lo, _hi + 1))


def _table_for(text: str) -> dict[int, str]:
    """The table, first given the characters of `text` it lacks (a character missing from it would be kept
    as it is by str.translate, unfolded). The check is one regex scan, a tenth of the cost of the fold."""
    if _unseen.search(text):
        _add({ch for ch in text if ord(ch) not in _TABLE})
    return _TABLE


def fold(text: str) -> str:
    """NFC, lower case, tone and vowel marks stripped, đ → d."""
    text = unicodedata.normalize("NFC", text)
    return text.translate(_table_for(text))


def fold_with_offsets(text: str, stored: str | None = None) -> tuple[str, Sequence[int]]:
    """Fold NFC `text`; offsets[i] is the index in `text` of the character folded into position i.

    `stored`: fold(text) as an index keeps it beside the text, taken instead of folding again (a page's fold
    is most of the cost of its snippet) when it is `text`'s own: text in NFC, every character known."""
    if stored is not None and len(stored) == len(text) and not _unseen.search(text):
        folded = stored if unicodedata.is_normalized("NFC", text) else text.translate(_TABLE)
    else:
        folded = text.translate(_table_for(text))
    if not _UNEVEN or _UNEVEN.isdisjoint(text):  # every character folded to one, as in Vietnamese text
        return folded, range(len(text))
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


@lru_cache(maxsize=1024)
def words_in_a_row(words: tuple[str, ...]) -> re.Pattern[str]:
    """A pattern for `words` as whole words, in a row across anything that is no letter or digit.

    The start-of-word check comes after the first word, not before it, so that the regex engine can jump
    between occurrences of that word instead of trying every position of the page (ten times faster).
    """
    first = re.escape(words[0])
    rest = "".join(r"[\W_]+" + re.escape(w) for w in words[1:])
    return re.compile(rf"{first}(?<=(?<![^\W_]){first}){rest}(?![^\W_])")


def has_marks(text: str) -> bool:
    """Whether the text carries Vietnamese marks, i.e. whether an exact match means more than a folded one."""
    return fold(text) != unicodedata.normalize("NFC", text).lower()
