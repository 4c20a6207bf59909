"""The SearchIndex protocol, the one index contract every backend implements, and the page records it takes
and gives (the other records it keeps, for reuse, the indicators and the audit trail, are search.records).

An index is a view: every page record it holds can be rebuilt from storage (`sohoa reindex`). Its query
rules are the same on every backend:
- words match with or without diacritics (folded form), all words must match;
- a quoted part is a phrase;
- pages where the words stand together, in the order typed, rank above pages where they are scattered;
- when the query carries diacritics, pages matching as written rank above those matching only folded;
- filters: owner ID, document type, dossier code, procedure code, a date range on the document date, and
  validity on a day (revoked; expired: past its valid-until date; valid: neither).
"""

from __future__ import annotations

import re
import unicodedata
from contextlib import AbstractContextManager
from datetime import date
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, Field, model_validator

from sohoa.errors import InvalidValue, ServiceUnavailable, SohoaError
from sohoa.records.basics import today
from sohoa.records.models import ValidityStatus
from sohoa.search.folding import fold, tokens, words_in_a_row
from sohoa.search.records import RecordIndex


class PageRecord(BaseModel):
    """One page as the index holds it."""

    doc_id: str
    page: int
    text: str
    title: str | None = None
    owner_id: str | None = None
    doc_type: str | None = None
    dossier_code: str | None = None
    doc_date: date | None = None
    kind: str | None = None
    validity: str | None = None  # as of the last write: only "revoked" stays true without a new write
    valid_until: date | None = None
    procedure_code: str | None = None  # of the dossier it was filed with
    agency: str | None = None  # the agency that digitized it: officers and staff search within theirs
    # Agencies that imported a dossier it is linked to (archive.grants): they search it as their own.
    granted: list[str] = Field(default_factory=list)


class SearchQuery(BaseModel):
    text: str = Field(min_length=1, max_length=500)
    owner_id: str | None = None
    doc_type: str | None = None
    dossier_code: str | None = None
    procedure_code: str | None = None
    agency: str | None = None  # the page's agency, or one of those granted it
    date_from: date | None = None
    date_to: date | None = None
    validity: ValidityStatus | None = None  # judged on `valid_on`: revoked, past valid_until, or neither
    valid_on: date = Field(default_factory=today)
    limit: int = Field(default=20, ge=1, le=200)
    offset: int = Field(default=0, ge=0, le=10_000)

    @model_validator(mode="after")
    def _within_the_window(self) -> SearchQuery:
        # Results are paged within the first TOTAL_CAP matches on both backends (Elasticsearch's result
        # window): a narrower query finds what lies past it.
        if self.offset + self.limit > TOTAL_CAP:
            raise InvalidValue(
                f"Chỉ xem được {TOTAL_CAP} kết quả đầu; hãy thu hẹp câu tìm kiếm",
                f"results are paged within the first {TOTAL_CAP} (offset + limit); narrow the query",
            )
        return self


class SearchHit(BaseModel):
    doc_id: str
    page: int
    score: float
    snippet: str  # HTML-escaped text as written, matches wrapped in <mark>
    exact: bool  # matched with its diacritics as typed
    title: str | None = None
    owner_id: str | None = None
    doc_type: str | None = None
    dossier_code: str | None = None
    doc_date: date | None = None


# Matches are counted up to this many; past it the total reads "10,000+" (total_exact is false). Counting
# every match of a common word over a province's archive costs more than the search itself.
TOTAL_CAP = 10_000


class SearchResults(BaseModel):
    total: int
    total_exact: bool = True  # False when more than TOTAL_CAP pages match and `total` is the cap
    hits: list[SearchHit]


class ParsedQuery(BaseModel):
    """A query split into the groups that must each match: single words and quoted phrases."""

    exact: list[list[str]]  # token groups as typed (lower case, NFC); a group of several is a phrase
    folded: list[list[str]]
    has_marks: bool

    @property
    def whole_phrase(self) -> list[str]:
        """All the words in the order typed: matching them side by side earns the proximity boost."""
        return [w for g in self.folded for w in g]


def parse_query(text: str) -> ParsedQuery:
    groups: list[list[str]] = []
    for phrase, bare in re.findall(r'"([^"]*)"|(\S+)', text):
        if phrase:
            words = tokens(phrase)
            if words:
                groups.append(words)
        else:
            groups.extend([w] for w in tokens(bare))
    folded = [[fold(w) for w in g] for g in groups]
    return ParsedQuery(exact=groups, folded=folded, has_marks=groups != folded)


def is_exact(text: str, parsed: ParsedQuery) -> bool:
    """Whether `text` holds every group of the query as typed, diacritics included."""
    if not parsed.has_marks:
        return False
    written = unicodedata.normalize("NFC", text).lower()
    return all(words_in_a_row(tuple(g)).search(written) for g in parsed.exact)


# Extra weight of a page holding all the words side by side, in order: "ho so" means "hồ sơ", not "Số … ho".
PHRASE_BOOST = 3.0
# Weight of a match as written against a folded-only match: high enough that pages with the words as
# typed rank above pages that only match without diacritics, on every backend.
EXACT_BOOST = 10.0


class IndexUnavailable(ServiceUnavailable):
    """The index server cannot be reached, or cannot take the request now."""


class IndexRefused(SohoaError):
    """The index refused a request it should have taken: sohoa's mistake, not the caller's."""

    code = "index_refused"


class InvalidQuery(InvalidValue):
    """A query with nothing to search for (no letters or digits)."""

    code = "invalid_query"


@runtime_checkable
class SearchIndex(RecordIndex, Protocol):
    """The one index contract: the pages for text search below, and the records beside them (document
    summaries, dossiers, reuse events, the audit trail: search.records.RecordIndex). SqliteIndex and
    ElasticIndex implement all of it, so a caller holding a SearchIndex always has the records too."""

    def index_pages(self, pages: list[PageRecord]) -> int:
        """Add or replace pages (keyed by doc_id and page); returns how many were indexed."""
        ...

    def delete_document(self, doc_id: str) -> None: ...

    def search(self, query: SearchQuery) -> SearchResults: ...

    def count(self) -> int:
        """Pages in the index."""
        ...

    def clear(self) -> None:
        """Drop every page and record."""
        ...

    def rebuilding(self) -> AbstractContextManager[SearchIndex]:
        """An empty index of the same kind beside this one, for a rebuild from storage: when the block
        ends without error it takes this one's place in one step (searches answer from the old until then,
        never from an empty one) and the old is removed; on error it is removed and this one is untouched."""
        ...

    def close(self) -> None: ...
