"""SOHOA_ES_SHARDS: the pages index split into shards searched side by side, against the real server of
deploy/services.sh; a bad value refused at start."""

from __future__ import annotations

import logging
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from pydantic import ValidationError

from conftest import ROOT
from sohoa.api.backends import make_index
from sohoa.api.settings import Settings
from sohoa.search.base import PageRecord, SearchQuery
from sohoa.search.elastic import ElasticIndex


def _name() -> str:
    return f"sohoa-test-{uuid.uuid4().hex[:12]}"


def _shards(index: ElasticIndex, name: str) -> set[int]:
    found = index.client.indices.get_settings(index=name, name="index.number_of_shards").body
    return {int(body["settings"]["index"]["number_of_shards"]) for body in found.values()}


def _pages(n: int) -> list[PageRecord]:
    return [
        PageRecord(doc_id=f"d{i:03d}", page=1, text=f"Hồ sơ số {i} của ông Nguyễn Văn An") for i in range(n)
    ]


def test_the_shards_setting_splits_the_pages_index_and_its_rebuilds(
    services: dict[str, str], tmp_path: Path
) -> None:
    name = _name()
    settings = Settings(
        data_dir=tmp_path, search="elasticsearch", es_url=services["SOHOA_ES_URL"], es_index=name, es_shards=3
    )
    index = make_index(settings)
    assert isinstance(index, ElasticIndex)
    try:
        assert _shards(index, name) == {3}
        assert _shards(index, f"{name}-documents") == {1}  # the records are few: one shard is enough
        index.index_pages(_pages(30))
        found = index.search(SearchQuery(text="ho so", limit=50))
        assert found.total == 30 and len({h.doc_id for h in found.hits}) == 30
        with index.rebuilding() as fresh:  # a rebuild's new generation is split the same way
            assert _shards(fresh, fresh.index) == {3}
            fresh.index_pages(_pages(5))
        assert _shards(index, name) == {3} and index.search(SearchQuery(text="nguyen van an")).total == 5
    finally:
        index.drop()
        index.close()


def test_an_index_made_with_other_shards_answers_as_before_and_says_to_reindex(
    services: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    name = _name()
    first = ElasticIndex(services["SOHOA_ES_URL"], index=name)
    try:
        first.index_pages(_pages(4))
        with caplog.at_level(logging.WARNING, logger="sohoa.search"):
            again = ElasticIndex(services["SOHOA_ES_URL"], index=name, shards=2)
        assert "has 1 shards, SOHOA_ES_SHARDS says 2" in caplog.text and "sohoa reindex" in caplog.text
        assert _shards(again, name) == {1} and again.search(SearchQuery(text="hồ sơ")).total == 4
        again.close()
    finally:
        first.drop()
        first.close()


def test_the_default_is_one_shard(services: dict[str, str]) -> None:
    assert Settings().es_shards == 1
    index = ElasticIndex(services["SOHOA_ES_URL"], index=_name())
    try:
        assert _shards(index, index.index) == {1}
    finally:
        index.drop()
        index.close()


@pytest.mark.parametrize("value", [0, 65, "two"])
def test_a_bad_shards_setting_is_refused(value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(es_shards=value)  # type: ignore[arg-type]
    (error,) = caught.value.errors()
    assert error["loc"] == ("es_shards",)


def test_the_cli_says_a_bad_shards_setting_and_exits_2(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-c", "from sohoa.api.cli import main; main()", "search", "hồ sơ"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT / "src"), "SOHOA_ES_SHARDS": "0", "PATH": "/usr/bin"},
        timeout=60,
        check=False,
    )
    assert run.returncode == 2, run.stderr
    said = run.stderr + run.stdout
    assert "Cấu hình không hợp lệ: SOHOA_ES_SHARDS" in said and "invalid settings: SOHOA_ES_SHARDS" in said
