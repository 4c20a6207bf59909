"""Search over the text of digitized pages: a SearchIndex protocol, its backends and Vietnamese folding."""

from sohoa.search.base import PageRecord, SearchHit, SearchIndex, SearchQuery, SearchResults
from sohoa.search.folding import fold
from sohoa.search.sqlite import SqliteIndex

__all__ = ["PageRecord", "SearchHit", "SearchIndex", "SearchQuery", "SearchResults", "SqliteIndex", "fold"]
