"""A rebuild loads its new generation as Elasticsearch advises for a bulk load (no refresh per batch, one
merge at the end), against the real server of deploy/services.sh."""

from __future__ import annotations

import uuid

from sohoa.search.base import PageRecord, SearchQuery
from sohoa.search.elastic import ElasticIndex


def _pages(start: int, n: int) -> list[PageRecord]:
    return [
        PageRecord(doc_id=f"d{i:04d}", page=1, text=f"Hồ sơ số {i} của bà Trần Thị Bình")
        for i in range(start, start + n)
    ]


def _segments(index: ElasticIndex, name: str) -> list[int]:
    """Searchable segments of each copy of each shard behind `name`."""
    found = index.client.indices.segments(index=name).body["indices"]
    return [
        copy["num_search_segments"]
        for each in found.values()
        for copies in each["shards"].values()
        for copy in copies
    ]


def _setting(index: ElasticIndex, name: str, setting: str) -> set[str]:
    found = index.client.indices.get_settings(index=name, name=f"index.{setting}").body
    return {body["settings"]["index"][setting] for body in found.values()}


def _refresh_interval(index: ElasticIndex, name: str) -> set[str]:
    return _setting(index, name, "refresh_interval")


def test_a_rebuild_loads_without_refreshes_and_goes_live_merged(services: dict[str, str]) -> None:
    name = f"sohoa-test-{uuid.uuid4().hex[:12]}"
    index = ElasticIndex(services["SOHOA_ES_URL"], index=name, shards=2)
    try:
        index.index_pages(_pages(0, 3))
        with index.rebuilding() as fresh:
            assert _refresh_interval(fresh, f"{fresh.index},{fresh.index}-*") == {"-1"}
            for start in range(0, 200, 40):  # five batches: five segments or more with a refresh each
                fresh.index_pages(_pages(start, 40))
            # Not searchable while loading: nobody reads a generation before it is whole.
            assert fresh.client.search(index=fresh.index, size=0)["hits"]["total"]["value"] == 0
            assert index.search(SearchQuery(text="ho so")).total == 3  # the live one still answers
        assert _segments(index, name) == [1, 1]  # each shard merged into one segment before going live
        assert _refresh_interval(index, f"{name},{name}-*") == {"1s"}  # and refreshed as usual again
        assert index.search(SearchQuery(text="tran thi binh")).total == 200
        index.index_pages(_pages(500, 1))  # a write after the rebuild is searchable at once, as before
        assert index.search(SearchQuery(text="500")).total == 1
    finally:
        index.drop()
        index.close()


def test_a_rebuild_loads_one_copy_and_goes_live_with_the_replicas_set(services: dict[str, str]) -> None:
    """Replicas are made after the load, from the merged shards. On the one node of the test set a replica
    cannot be placed, and the rebuild still goes live (the index yellow, as the live one was)."""
    name = f"sohoa-test-{uuid.uuid4().hex[:12]}"
    index = ElasticIndex(services["SOHOA_ES_URL"], index=name, replicas=1)
    try:
        assert _setting(index, f"{name},{name}-*", "number_of_replicas") == {"1"}
        with index.rebuilding() as fresh:
            assert _setting(fresh, f"{fresh.index},{fresh.index}-*", "number_of_replicas") == {"0"}
            fresh.index_pages(_pages(0, 10))
        assert _setting(index, f"{name},{name}-*", "number_of_replicas") == {"1"}
        assert index.search(SearchQuery(text="tran thi binh")).total == 10
    finally:
        index.drop()
        index.close()
