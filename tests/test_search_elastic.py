"""What only the Elasticsearch backend shows: its index template, and a clear error when it is unreachable."""

from __future__ import annotations

import pytest

from conftest import make_elastic
from sohoa.errors import ServiceUnavailable
from sohoa.search.elastic import ElasticIndex


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
        assert index.client.indices.exists_index_template(name=index.index)
    finally:
        index.drop()


def test_unreachable_server_gives_a_clear_error() -> None:
    with pytest.raises(ServiceUnavailable, match=r"127\.0\.0\.1:9"):
        ElasticIndex("http://127.0.0.1:9", timeout=2)
