"""ElasticIndex: the production search backend, Elasticsearch, holding the pages for text search and the
records beside them in indices of their own (search.base.SearchIndex, the one index contract).

It is composed by concern: the indices, their mappings and upgrades (search.elastic_schema), the pages and
their search (search.elastic_pages), the records (search.elastic_records, with search.elastic_audit and
search.elastic_indicators), the generations a full rebuild switches between (search.elastic_generations).
Calls to the server go through `_guard`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from elasticsearch import Elasticsearch

from sohoa.search import elastic_generations as generations
from sohoa.search.base import IndexUnavailable
from sohoa.search.elastic_errors import translated
from sohoa.search.elastic_hosts import es_urls
from sohoa.search.elastic_pages import ElasticPages
from sohoa.search.elastic_records import ElasticRecords
from sohoa.search.elastic_schema import REFRESH_INTERVAL

T = TypeVar("T")


class ElasticIndex(ElasticPages, ElasticRecords):
    def __init__(
        self,
        url: str | Sequence[str],
        *,
        index: str = "sohoa-pages",
        timeout: float = 30,
        template: bool = True,
        replicas: int = 0,
        shards: int = 1,
    ) -> None:
        """`url`: one node, or several (a list or a comma-separated string, search.elastic_hosts), which
        the client fails over between; `replicas`: copies of each shard on other nodes (0 on one node);
        `shards`: how many parts the pages index is split into, searched side by side (set when the index is
        made: a changed count takes effect at the next `sohoa reindex`)."""
        self.hosts = es_urls(url)
        self.url = ",".join(self.hosts)
        self.index = index
        self.timeout = timeout
        self.template = template
        self.replicas = replicas
        self.shards = shards
        # Whether each write is made searchable before it returns (`refresh=True`): what ingest needs to
        # read its own writes; a rebuild's new generation is read by nobody until it is whole, so it is not.
        self.refresh = True
        # A node that refuses the connection is set aside and the request retried on another: with
        # max_retries of at least the count of nodes, one dead node costs a search one refused connection.
        self.client = Elasticsearch(
            self.hosts,
            request_timeout=timeout,
            retry_on_timeout=True,
            max_retries=max(3, len(self.hosts)),
        )
        self._absent = self.client.options(ignore_status=404)  # deleting what is already gone is done
        self._guard(self._ensure_index)

    def __repr__(self) -> str:
        return f"ElasticIndex({self.url!r}, index={self.index!r})"

    def _guard(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with translated(self.url):
            return fn(*args, **kwargs)

    def clear(self) -> None:
        self._delete_indices()
        self._guard(self._ensure_index)

    def drop(self) -> None:
        """Remove the indices and the template altogether (tests, and uninstalling)."""
        self._delete_indices()
        self._guard(self._absent.indices.delete_index_template, name=self.index)

    def _delete_indices(self) -> None:
        for name in generations.names(self.index):
            for target in self._guard(generations.concrete, self.client, name):
                self._guard(self._absent.indices.delete, index=target)

    @contextmanager
    def rebuilding(self) -> Iterator[ElasticIndex]:
        """A new generation of empty indices; when the block ends without error every name moves to it in
        one atomic step and the old generation is deleted. On error the new one is deleted, the live one
        untouched."""
        generation = self._guard(generations.live_generation, self.client, self.index) + 1
        fresh_base = generations.generation_base(self.index, generation)
        fresh = ElasticIndex(
            self.hosts,
            index=fresh_base,
            timeout=self.timeout,
            template=False,
            replicas=self.replicas,
            shards=self.shards,
        )
        try:
            fresh.clear()  # the leftovers of a rebuild that died before its switch
            fresh.refresh = False
            self._guard(fresh.bulk_load_settings, loading=True)
            yield fresh
            self._guard(fresh.bulk_load_settings, loading=False)
            retired = self._guard(generations.switch, self.client, self.index, generation)
        except BaseException:
            fresh.drop()
            raise
        finally:
            fresh.close()
        for name in retired:
            self._guard(self._absent.indices.delete, index=name)

    def bulk_load_settings(self, *, loading: bool) -> None:
        """Elasticsearch's own recipe for a bulk load: no periodic refresh and no replicas while loading
        (each page is written once, not once per copy); at the end one refresh, a merge into one segment per
        shard, and the replicas made from the merged shards. Per-batch refreshes leave dozens of small
        segments, and a query pays for each: at 1,000,000 pages, 42 segments against 6 was 67 against 53
        ms at p95 for a two-word query with marks. All of it happens before the generation goes live, so no
        search waits on it, and a generation goes live with as many copies as the live one has."""
        pages_and_records = f"{self.index},{self.index}-*"
        if loading:
            settings = {"refresh_interval": "-1", "number_of_replicas": 0}
            self.client.indices.put_settings(index=pages_and_records, settings={"index": settings})
            return
        # A merge or a copy of a million pages takes minutes; the client's timeout is for queries.
        slow = self.client.options(request_timeout=3600)
        slow.indices.refresh(index=pages_and_records)
        slow.indices.forcemerge(index=self.index, max_num_segments=1, wait_for_completion=True)
        settings = {"refresh_interval": REFRESH_INTERVAL, "number_of_replicas": self.replicas}
        self.client.indices.put_settings(index=pages_and_records, settings={"index": settings})
        # Every copy is made before the switch when the nodes can hold them all; a replica that no node
        # can hold (a single node told SOHOA_ES_REPLICAS=1) would stay unassigned, as on the live index.
        nodes = slow.cluster.health()["number_of_data_nodes"]
        health = slow.cluster.health(
            index=pages_and_records,
            wait_for_status="green" if nodes > self.replicas else "yellow",
            wait_for_no_initializing_shards=True,
            timeout="50m",
        )
        if health["timed_out"]:
            raise IndexUnavailable(
                "Chỉ mục mới chưa sao chép xong sang các nút; chỉ mục cũ vẫn được dùng",
                "the new index's copies are not all made yet on the other nodes; the old index stays in use",
            )

    def close(self) -> None:
        self.client.close()
