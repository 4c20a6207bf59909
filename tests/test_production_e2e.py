"""The production pair, for real: a generated batch ingested into MinIO + Elasticsearch survives a restart of
both servers, and `sohoa reindex` rebuilds the dropped index from storage alone with the same hits. The
servers are a set of the test's own (tests/private_services.py): the rest of the suite never sees them
restart."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import make_elastic, make_minio
from corpus import write_sample_scans
from ports import PRODUCTION_E2E
from private_services import private_set
from sohoa.ingest import IngestMeta, ingest_file
from sohoa.ingest.executor import LocalProcessExecutor
from sohoa.search import SearchQuery

SOHOA = str(Path(sys.executable).parent / "sohoa")
QUERIES = ["ho so", "hồ sơ", '"thu tuc hanh chinh"', "quyet dinh"]


def _hits(index, text: str) -> list[tuple[str, int]]:
    return [(h.doc_id, h.page) for h in index.search(SearchQuery(text=text, limit=200)).hits]


def test_ingest_restart_reindex(services: dict[str, str], tmp_path: Path) -> None:
    with private_set(PRODUCTION_E2E, "sohoa-e2e-") as own:
        _ingest_restart_reindex(own.exports, own.script, tmp_path)


def _ingest_restart_reindex(
    services: dict[str, str], script: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    bucket, index_name = f"e2e-{uuid.uuid4().hex[:10]}", f"sohoa-e2e-{uuid.uuid4().hex[:10]}"
    store = make_minio(services, bucket)
    index = make_elastic(services, index_name)
    truth = write_sample_scans(tmp_path / "scans", seed=71)
    executor = LocalProcessExecutor(2)
    try:
        for name in sorted(truth):
            ingest_file(
                tmp_path / "scans" / name,
                store=store,
                index=index,
                meta=IngestMeta(name=name, owner_id="001089012345"),
                executor=executor,
            )
    finally:
        executor.close()
    before = {q: _hits(index, q) for q in QUERIES}
    assert before["ho so"], "the batch must hold 'hồ sơ'"
    assert set(before["ho so"]) == set(before["hồ sơ"])
    documents = sorted(k for k in store.list("documents/") if k.endswith("manifest.json"))
    assert len(documents) == len(truth)

    restart = script("restart")
    assert restart.returncode == 0, restart.stderr
    store = make_minio(services, bucket)
    index = make_elastic(services, index_name)
    assert {q: _hits(index, q) for q in QUERIES} == before
    assert sorted(k for k in store.list("documents/") if k.endswith("manifest.json")) == documents

    index.client.indices.delete(index=index_name)  # type: ignore[attr-defined]
    env = {
        **os.environ,
        "SOHOA_STORAGE": "minio",
        "SOHOA_SEARCH": "elasticsearch",
        "SOHOA_MINIO_BUCKET": bucket,
        "SOHOA_ES_INDEX": index_name,
        **services,
    }
    r = subprocess.run([SOHOA, "reindex"], capture_output=True, text=True, env=env, timeout=600, check=False)
    assert r.returncode == 0, r.stderr
    index = make_elastic(services, index_name)
    assert {q: _hits(index, q) for q in QUERIES} == before
    r = subprocess.run(
        [SOHOA, "search", "ho so", "--json"], capture_output=True, text=True, env=env, check=False
    )
    assert r.returncode == 0 and '"total"' in r.stdout


@pytest.mark.parametrize(
    ("setting", "command", "name"),
    [
        (
            {"SOHOA_SEARCH": "elasticsearch", "SOHOA_ES_URL": "http://127.0.0.1:9"},
            ["search", "ho so"],
            "Elasticsearch",
        ),
        ({"SOHOA_STORAGE": "minio", "SOHOA_MINIO_ENDPOINT": "127.0.0.1:9"}, ["show", "0" * 24], "MinIO"),
    ],
)
def test_cli_says_when_a_server_is_down(tmp_path: Path, setting: dict, command: list[str], name: str) -> None:
    env = {**os.environ, **setting, "SOHOA_DATA_DIR": str(tmp_path)}
    r = subprocess.run([SOHOA, *command], capture_output=True, text=True, env=env, timeout=120, check=False)
    assert r.returncode == 4
    assert name in r.stderr
    assert "Traceback" not in r.stderr
