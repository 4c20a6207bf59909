"""What only the Elasticsearch backend shows: its index template, and a clear error when it is unreachable."""

from __future__ import annotations

import copy
import logging
import uuid
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from conftest import make_elastic
from sohoa.errors import ServiceUnavailable
from sohoa.search.base import PageRecord, SearchQuery
from sohoa.search.elastic import ElasticIndex
from sohoa.search.elastic_schema import _TEMPLATE_BODY


def test_index_template_keeps_text_folded_and_keywords(services: dict[str, str]) -> None:
    index = make_elastic(services)
    assert isinstance(index, ElasticIndex)
    try:
        mapping = index.client.indices.get_mapping(index=index.index)[index.index]["mappings"]["properties"]
        assert mapping["text"]["type"] == "text"
        assert mapping["folded"]["type"] == "text"
        for keyword in ("doc_id", "owner_id", "doc_type", "dossier_code"):
            assert mapping[keyword]["type"] == "keyword"
        assert mapping["doc_date"]["type"] == "date"
        # Word pairs are indexed, so that two-word phrases are one term lookup.
        assert mapping["text"]["index_phrases"] and mapping["folded"]["index_phrases"]
        assert index.client.indices.exists_index_template(name=index.index)
    finally:
        index.drop()


def test_unreachable_server_gives_a_clear_error() -> None:
    with pytest.raises(ServiceUnavailable, match=r"127\.0\.0\.1:9"):
        ElasticIndex("http://127.0.0.1:9", timeout=2)


def test_an_index_made_before_word_pairs_still_answers_and_reindex_remakes_it(
    services: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    name = f"sohoa-test-{uuid.uuid4().hex[:12]}"
    old: dict[str, Any] = copy.deepcopy(_TEMPLATE_BODY["mappings"])
    for field in ("text", "folded"):
        del old["properties"][field]["index_phrases"]
    del old["properties"]["procedure_code"]  # a field added since, which the upgrade adds
    client = Elasticsearch(services["SOHOA_ES_URL"])
    client.indices.create(index=name, settings=_TEMPLATE_BODY["settings"], mappings=old)
    try:
        with caplog.at_level(logging.WARNING, logger="sohoa.search"):
            index = ElasticIndex(services["SOHOA_ES_URL"], index=name)
        assert "sohoa reindex" in caplog.text
        text = "Nộp hồ sơ tại bộ phận một cửa"
        page = PageRecord(doc_id="a" * 24, page=1, text=text, procedure_code="1.001")
        index.index_pages([page])
        hits = index.search(SearchQuery(text='"ho so"', procedure_code="1.001")).hits
        assert [(h.doc_id, h.exact) for h in hits] == [("a" * 24, False)]
        mapping = client.indices.get_mapping(index=name)[name]["mappings"]["properties"]
        assert "index_phrases" not in mapping["folded"]

        index.clear()  # what `sohoa reindex` does first
        mapping = client.indices.get_mapping(index=name)[name]["mappings"]["properties"]
        assert mapping["folded"]["index_phrases"] and mapping["text"]["index_phrases"]
        index.index_pages([page])
        assert [h.doc_id for h in index.search(SearchQuery(text='"hồ sơ"')).hits] == ["a" * 24]
    finally:
        ElasticIndex(services["SOHOA_ES_URL"], index=name).drop()
        client.close()
