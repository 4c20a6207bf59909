"""A page's words as JSON: the one encoding kept in storage beside each page (`keys.page_words`) and left by a
page worker in its scratch directory, so a page's words go from the reader to storage as a file, never held
with every other page's (about 0.5 MB of objects a page: most of a 500-page job's memory when they were)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from pydantic import TypeAdapter

from sohoa.records.models import Word

_WORDS = TypeAdapter(list[Word])


def words_json(words: Sequence[Word]) -> bytes:
    """The words as stored: fields left unset (a word kept as read has no `ocr_text`) are left out."""
    return json.dumps([w.model_dump(exclude_none=True) for w in words], ensure_ascii=False).encode()


def write_words(path: Path, words: Sequence[Word]) -> Path:
    path.write_bytes(words_json(words))
    return path


def read_words(path: Path) -> list[Word]:
    return _WORDS.validate_json(Path(path).read_bytes())
