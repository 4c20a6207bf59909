"""Elasticsearch reached through several nodes (SOHOA_ES_URL, comma-separated) and its replicas
(SOHOA_ES_REPLICAS), against the real server of deploy/services.sh."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from pydantic import ValidationError

from conftest import ROOT
from sohoa.api.backends import make_index
from sohoa.api.settings import Settings
from sohoa.errors import InvalidValue
from sohoa.search.base import PageRecord, SearchQuery
from sohoa.search.elastic import ElasticIndex

DEAD_NODE = "http://127.0.0.1:1"  # nothing listens on port 1: the connection is refused at once


def _name() -> str:
    return f"sohoa-test-{uuid.uuid4().hex[:12]}"


def _replicas(index: ElasticIndex, name: str) -> set[int]:
    found = index.client.indices.get_settings(index=name, name="index.number_of_replicas").body
    return {int(body["settings"]["index"]["number_of_replicas"]) for body in found.values()}


def test_a_dead_node_first_in_the_list_does_not_stop_search(services: dict[str, str]) -> None:
    index = ElasticIndex(f"{DEAD_NODE},{services['SOHOA_ES_URL']}", index=_name(), timeout=5)
    try:
        assert index.hosts == [DEAD_NODE, services["SOHOA_ES_URL"]]
        index.index_pages([PageRecord(doc_id="b" * 24, page=1, text="Giấy chứng nhận quyền sử dụng đất")])
        # Round robin sends some requests to the dead node first: every one of them must still answer.
        for _ in range(6):
            hits = index.search(SearchQuery(text="quyen su dung dat")).hits
            assert [h.doc_id for h in hits] == ["b" * 24]
    finally:
        index.drop()
        index.close()


def test_settings_take_several_nodes_and_the_index_is_built_on_all(
    services: dict[str, str], tmp_path: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        search="elasticsearch",
        es_url=f" {DEAD_NODE} , {services['SOHOA_ES_URL']}",
        es_index=_name(),
    )
    assert settings.es_hosts == [DEAD_NODE, services["SOHOA_ES_URL"]]
    index = make_index(settings)
    assert isinstance(index, ElasticIndex)
    try:
        assert index.hosts == settings.es_hosts
        assert index.search(SearchQuery(text="hồ sơ")).hits == []
    finally:
        index.drop()
        index.close()


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("", "URL 1 is empty"),
        ("http://127.0.0.1:9200,", "URL 2 is empty"),
        ("http://127.0.0.1:9200,,http://127.0.0.1:9201", "URL 2 is empty"),
        ("127.0.0.1:9200", "URL 1 ('127.0.0.1:9200') is not http(s)://"),
        ("http://a:9200,ftp://b:9200", "URL 2 ('ftp://b:9200') is not http(s)://"),
        ("http://127.0.0.1:92x0", "has an invalid port"),
        ("http://:9200", "has no host"),
        ("http://elastic:s3cret@:9200", "('…@:9200') has no host"),
    ],
)
def test_a_bad_list_of_nodes_is_refused_at_settings_time(value: str, said: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(es_url=value)
    (error,) = caught.value.errors()
    assert error["loc"] == ("es_url",)
    assert said in error["msg"] and "SOHOA_ES_URL" in error["msg"]
    assert "s3cret" not in error["msg"]
    with pytest.raises(InvalidValue, match="http"):
        ElasticIndex(value)


def test_the_cli_says_a_bad_list_of_nodes_and_exits_2(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-c", "from sohoa.api.cli import main; main()", "search", "hồ sơ"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT / "src"), "SOHOA_ES_URL": "http://127.0.0.1:9200,,", "PATH": "/usr/bin"},
        timeout=60,
        check=False,
    )
    assert run.returncode == 2, run.stderr
    assert "SOHOA_ES_URL" in run.stderr + run.stdout and "URL 2 is empty" in run.stderr + run.stdout


def test_the_replicas_setting_reaches_every_index_and_follows_a_change(
    services: dict[str, str], tmp_path: Path
) -> None:
    name = _name()
    settings = Settings(
        data_dir=tmp_path,
        search="elasticsearch",
        es_url=services["SOHOA_ES_URL"],
        es_index=name,
        es_replicas=1,
    )
    index = make_index(settings)
    assert isinstance(index, ElasticIndex)
    try:
        # On one node the replica is never placed (the index stays yellow), but the setting is the index's.
        for each in (name, f"{name}-documents", f"{name}-audit"):
            assert _replicas(index, each) == {1}
        template = index.client.indices.get_index_template(name=name).body["index_templates"][0]
        assert template["index_template"]["template"]["settings"]["index"]["number_of_replicas"] == "1"
        with index.rebuilding() as fresh:  # a rebuild loads one copy (search.elastic bulk_load_settings)
            assert _replicas(fresh, fresh.index) == {0}
        assert _replicas(index, name) == {1}  # and its new generation goes live with the replicas set

        # Back to one copy, as a cluster shrunk to one node would be: the live indices follow on opening.
        again = ElasticIndex(services["SOHOA_ES_URL"], index=name, replicas=0)
        assert _replicas(again, name) == {0} and _replicas(again, f"{name}-dossiers") == {0}
        again.close()
    finally:
        index.drop()
        index.close()


def test_the_default_is_no_replica(services: dict[str, str]) -> None:
    assert Settings().es_replicas == 0
    index = ElasticIndex(services["SOHOA_ES_URL"], index=_name())
    try:
        assert _replicas(index, index.index) == {0}
    finally:
        index.drop()
        index.close()
