"""ElasticIndex: the production search backend, Elasticsearch, holding the pages for text search and the
records beside them in indices of their own (search.base.SearchIndex, the one index contract).

It is composed by concern: the indices, their mappings and upgrades (search.elastic_schema), the pages and
their search (search.elastic_pages), the records (search.elastic_records, with search.elastic_audit and
search.elastic_indicators). Calls to the server go through `_guard`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from elasticsearch import Elasticsearch

from sohoa.search.elastic_errors import translated
from sohoa.search.elastic_pages import ElasticPages
from sohoa.search.elastic_records import ElasticRecords
from sohoa.search.elastic_schema import RECORD_MAPPINGS

T = TypeVar("T")


class ElasticIndex(ElasticPages, ElasticRecords):
    def __init__(self, url: str, *, index: str = "sohoa-pages", timeout: float = 30) -> None:
        self.url = url
        self.index = index
        self.client = Elasticsearch(url, request_timeout=timeout, retry_on_timeout=True, max_retries=3)
        self._absent = self.client.options(ignore_status=404)  # deleting what is already gone is done
        self._guard(self._ensure_index)

    def __repr__(self) -> str:
        return f"ElasticIndex({self.url!r}, index={self.index!r})"

    def _guard(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with translated(self.url):
            return fn(*args, **kwargs)

    def clear(self) -> None:
        for name in (self.index, *(self._records(kind) for kind in RECORD_MAPPINGS)):
            self._guard(self._absent.indices.delete, index=name)
        self._guard(self._ensure_index)

    def drop(self) -> None:
        """Remove the indices and the template altogether (tests, and uninstalling)."""
        for name in (self.index, *(self._records(kind) for kind in RECORD_MAPPINGS)):
            self._guard(self._absent.indices.delete, index=name)
        self._guard(self._absent.indices.delete_index_template, name=self.index)

    def close(self) -> None:
        self.client.close()
