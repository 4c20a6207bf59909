"""Which words on a page image a query matched: the OCR word boxes whose text, folded like the search folds
it, is one of the query's words. The boxes are drawn over the page image."""

from __future__ import annotations

import re

from sohoa.records.models import Word
from sohoa.search import fold

_EDGE = re.compile(r"^\W+|\W+$")


def query_terms(query: str) -> set[str]:
    """The folded words of a query (quotes and punctuation dropped)."""
    return {t for t in (_EDGE.sub("", w) for w in fold(query.replace('"', " ")).split()) if t}


def matched_words(words: list[Word], query: str) -> list[Word]:
    terms = query_terms(query)
    if not terms:
        return []
    return [w for w in words if _EDGE.sub("", fold(w.text)) in terms]
