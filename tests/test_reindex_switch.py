"""A full reindex builds a new index and switches to it at the end, on both backend pairs (real MinIO and
Elasticsearch): a record it cannot read is reported and skipped, a search made while it runs answers from
the old index, and after the switch nothing of the old generation is left."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

import sohoa
from conftest import Pair
from sohoa.archive import reindex
from sohoa.errors import ServiceUnavailable
from sohoa.search.base import PageRecord, SearchIndex, SearchQuery
from sohoa.search.elastic import ElasticIndex
from sohoa.search.elastic_generations import names
from sohoa.search.sqlite import SqliteIndex
from sohoa.storage import keys
from sohoa.storage.base import ObjectStore
from sohoa.storage.filesystem import FilesystemStore
from synthetic import store_document

GOOD = 3
SRC = str(Path(sohoa.__file__).parents[1])  # the code under test, for the CLI run in a subprocess


def _store_document(store: ObjectStore, n: int, *, pages: int = 1, page_count: int | None = None) -> str:
    texts = [f"Giấy khai sinh hồ sơ số{n} trang {p}" for p in range(1, pages + 1)]
    return store_document(store, n, texts, page_count=page_count)


def _bad_manifests(store: ObjectStore) -> dict[str, str]:
    """Three unreadable documents and one unreadable dossier: key → what the report must say."""
    not_json = keys.document_manifest(f"{100:024x}")
    store.put_bytes(not_json, b'{"id": "trun', content_type="application/json")
    not_the_model = keys.document_manifest(f"{101:024x}")
    store.put_bytes(not_the_model, b'{"id": "x"}', content_type="application/json")
    short = keys.document_manifest(_store_document(store, 102, pages=1, page_count=3))
    dossier = f"{keys.DOSSIERS_PREFIX}000.00.11.H29-250912-0007/manifest.json"
    store.put_bytes(dossier, b"not json at all", content_type="application/json")
    return {not_json: "JSON", not_the_model: "master_key", short: "1/3 pages", dossier: "JSON"}


def _found(index: SearchIndex, word: str) -> list[str]:
    return [h.doc_id for h in index.search(SearchQuery(text=word, limit=50)).hits]


def test_an_unreadable_record_is_reported_and_skipped_and_the_rest_is_indexed(pair: Pair) -> None:
    good = [_store_document(pair.store, n) for n in range(1, GOOD + 1)]
    bad = _bad_manifests(pair.store)
    # A page the index holds but storage does not: a rebuild from storage must not keep it.
    pair.index.index_pages([PageRecord(doc_id="f" * 24, page=1, text="Giấy khai sinh hồ sơ cũ")])
    skipped: list[tuple[str, str]] = []

    pages = reindex(pair.store, pair.index, skipped=lambda key, why: skipped.append((key, why)))

    assert pages == GOOD == pair.index.count()
    assert sorted(_found(pair.index, "giay khai sinh")) == good
    for n, doc_id in enumerate(good, 1):
        assert _found(pair.index, f"so{n}") == [doc_id]
    assert {key for key, _ in skipped} == set(bad)
    for key, why in skipped:
        assert bad[key] in why, (key, why)


def test_the_cli_names_each_skipped_record_counts_them_and_exits_5(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = FilesystemStore(data / "store")
    good = [_store_document(store, n) for n in range(1, GOOD + 1)]
    bad = _bad_manifests(store)
    env = {**os.environ, "SOHOA_DATA_DIR": str(data), "COLUMNS": "200", "PYTHONPATH": SRC}
    run = subprocess.run(
        [sys.executable, "-c", "from sohoa.api.cli import main; main()", "reindex"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert run.returncode == 5, run.stderr
    for key in bad:
        assert key in run.stderr
    assert f"{GOOD} trang" in run.stdout and f"{len(bad)} records skipped" in run.stdout
    index = SqliteIndex(data / "index.sqlite3")
    try:
        assert sorted(_found(index, "giay khai sinh")) == good
    finally:
        index.close()


class PausingStore:
    """The real store, whose read of one key waits until the test lets it go: a reindex held mid-way."""

    def __init__(self, store: ObjectStore, key: str) -> None:
        self._store, self._key = store, key
        self.reached, self.go = threading.Event(), threading.Event()

    def get_bytes(self, key: str, **kw: Any) -> bytes:
        if key == self._key:
            self.reached.set()
            assert self.go.wait(60), "the test never let the reindex go on"
        return self._store.get_bytes(key, **kw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def test_search_answers_while_a_reindex_runs_and_one_generation_is_left(pair: Pair, tmp_path: Path) -> None:
    good = [_store_document(pair.store, n) for n in range(1, GOOD + 1)]
    reindex(pair.store, pair.index)
    before = _generations(pair)
    later = _store_document(pair.store, 50)  # stored after the first reindex: only the second finds it
    paused = PausingStore(pair.store, keys.document_manifest(good[-1]))
    done: list[int] = []
    worker = threading.Thread(target=lambda: done.append(reindex(paused, pair.index)))  # type: ignore[arg-type]
    worker.start()
    try:
        assert paused.reached.wait(60)
        # The rebuild has read some documents and holds at the last: the live index still answers all.
        assert sorted(_found(pair.index, "giay khai sinh")) == good
        assert _found(pair.index, "so50") == []
    finally:
        paused.go.set()
        worker.join(120)
    assert done == [GOOD + 1]
    assert sorted(_found(pair.index, "giay khai sinh")) == sorted([*good, later])
    after = _generations(pair)
    assert len(after) == len(before) and not set(after) & set(before), (before, after)


def _generations(pair: Pair) -> list[str]:
    """What holds the index now, checked to be one generation: on Elasticsearch the concrete indices
    under its names (each name an alias of one of them, nothing else left behind); on SQLite its files."""
    if isinstance(pair.index, ElasticIndex):
        client, base = pair.index.client, pair.index.index
        concrete = sorted(client.indices.get(index=f"{base}*").body)
        behind: list[str] = []
        for name in names(base):
            assert client.indices.exists_alias(name=name), name
            behind.extend(client.indices.get_alias(name=name).body)
        assert sorted(behind) == concrete
        return concrete
    assert isinstance(pair.index, SqliteIndex)
    path = Path(pair.index.path)
    files = sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name))
    assert [f for f in files if f not in {path.name, f"{path.name}-wal", f"{path.name}-shm"}] == []
    # One file, rewritten in place: which content it holds is told by the pages, not by a name.
    return [f"{path.name}:{sorted(_found(pair.index, 'giay khai sinh'))}"]


class FailingStore(PausingStore):
    """The real store, whose read of one key finds the store gone: a rebuild that cannot finish."""

    def get_bytes(self, key: str, **kw: Any) -> bytes:
        if key == self._key:
            raise ServiceUnavailable("Không kết nối được kho lưu trữ", "cannot reach the store")
        return self._store.get_bytes(key, **kw)


def test_a_rebuild_that_cannot_finish_leaves_the_live_index_as_it_was(pair: Pair) -> None:
    good = [_store_document(pair.store, n) for n in range(1, GOOD + 1)]
    reindex(pair.store, pair.index)
    before = _generations(pair)
    failing = FailingStore(pair.store, keys.document_manifest(good[-1]))
    with pytest.raises(ServiceUnavailable):
        reindex(failing, pair.index)  # type: ignore[arg-type]
    assert _generations(pair) == before  # the half-built generation is gone, the live one kept
    assert sorted(_found(pair.index, "giay khai sinh")) == good
