"""The index can lag but never lose: what is stored while the index refuses writes is found by search once
it answers again, replayed by the periodic catch-up of the running process (ingest.catchup), with no
reindex or `sohoa catch-up` run by anyone.

The fast tests run the loop on the embedded pair, with a real SQLite index wrapped so that its writes fail
(as a locked or full database does) until the test lets them through. The must-show test runs a private
MinIO + Elasticsearch + Redis set from deploy/services.sh (its own run directory and ports: tests/ports.py),
a real `sohoa serve` on it, uploads through the API, and SIGKILLs that Elasticsearch mid-way.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

import sohoa
from people import AGENCY, make_people
from ports import INDEX_LAG
from private_services import PrivateSet, private_set
from sohoa.api.app import create_app
from sohoa.api.settings import Settings
from sohoa.archive.documents import load_document
from sohoa.archive.pending import index_again, pending
from sohoa.ingest.catchup import start_catch_up
from sohoa.records.models import Document
from sohoa.samples.scangen import make_page
from sohoa.search.base import SearchIndex, SearchQuery
from sohoa.search.sqlite import SqliteIndex
from sohoa.storage import keys
from sohoa.storage.base import ObjectStore
from sohoa.storage.filesystem import FilesystemStore
from sohoa.storage.minio import MinioStore
from synthetic import store_document
from waiting import alive, until

WRITES = ("index_pages", "index_documents", "index_dossiers", "index_reuses", "index_audit")


class Refusing:
    """A real index whose writes raise `error` while it is set: the index down, then back."""

    def __init__(self, index: SearchIndex) -> None:
        self.index = index
        self.error: Exception | None = sqlite3.OperationalError("database is locked")
        self.refused = 0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.index, name)
        if name not in WRITES:
            return attr

        def write(*args: Any, **kwargs: Any) -> Any:
            if self.error is not None:
                self.refused += 1
                raise self.error
            return attr(*args, **kwargs)

        return write


@dataclass
class Held:
    store: ObjectStore
    index: Any


def _document(store: ObjectStore, n: int) -> Document:
    return load_document(store, store_document(store, n, [f"Giấy khai sinh hồ sơ trễ{n}"], agency=AGENCY))


def _found(index: SearchIndex, word: str) -> list[str]:
    return [h.doc_id for h in index.search(SearchQuery(text=word, limit=50)).hits]


def _loops() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "sohoa-catch-up"]


@pytest.fixture
def refusing(tmp_path: Path) -> Iterator[tuple[FilesystemStore, Refusing, SqliteIndex]]:
    real = SqliteIndex(tmp_path / "index.sqlite3")
    yield FilesystemStore(tmp_path / "store"), Refusing(real), real
    real.close()


def test_the_loop_keeps_trying_while_the_index_refuses_and_indexes_when_it_accepts(
    refusing: tuple[FilesystemStore, Refusing, SqliteIndex],
) -> None:
    store, index, real = refusing
    docs = [_document(store, n) for n in (1, 2)]
    for doc in docs:
        assert not index_again(store, index, doc)  # stored, the index refused: marked pending
    assert len(pending(store)) == 2

    stop = start_catch_up(Held(store, index), 0.1)
    try:
        # Rounds go on while the index is down, a failure that is no index error included; none replays.
        assert until(lambda: index.refused >= 3, 5)
        index.error = RuntimeError("a bug in a round")
        tried = index.refused
        assert until(lambda: index.refused >= tried + 2, 5)
        assert len(pending(store)) == 2 and _loops()
        index.error = None  # the index answers again
        assert until(lambda: pending(store) == [], 5)
    finally:
        stop()
    assert _loops() == []  # stopped: the thread is gone
    assert {d for n in (1, 2) for d in _found(real, f"trễ{n}")} == {d.id for d in docs}


def test_a_record_that_cannot_be_read_does_not_hold_the_later_ones_back(
    refusing: tuple[FilesystemStore, Refusing, SqliteIndex],
) -> None:
    store, index, real = refusing
    bad, good = _document(store, 5), _document(store, 6)
    index_again(store, index, bad)  # the older marker, replayed first
    index_again(store, index, good)
    store.put_bytes(keys.document_manifest(bad.id), b'{"id": "trun', content_type="application/json")
    index.error = None
    stop = start_catch_up(Held(store, index), 0.1)
    try:
        # Before, every round stopped at the damaged record: the good document never reached the index.
        assert until(lambda: _found(real, "trễ6") == [good.id], 5)
    finally:
        stop()
    assert len(pending(store)) == 1  # the damaged one's marker, kept for when the record is mended


def test_zero_seconds_starts_nothing(refusing: tuple[FilesystemStore, Refusing, SqliteIndex]) -> None:
    store, index, _ = refusing
    index_again(store, index, _document(store, 3))
    index.error = None
    stop = start_catch_up(Held(store, index), 0)
    time.sleep(0.3)
    assert _loops() == [] and len(pending(store)) == 1
    stop()


def test_the_server_replays_at_start_and_stops_its_loop_at_shutdown(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", workers=1, pending_seconds=0.2)
    store = FilesystemStore(settings.store_dir)
    real = SqliteIndex(settings.index_path)
    index = Refusing(real)
    doc = _document(store, 4)
    index_again(store, index, doc)  # a document the index missed before this server started
    staff = make_people(store)["staff"].headers
    assert pending(store)
    with TestClient(create_app(settings), base_url="https://testserver") as client:  # owns its backends
        assert until(lambda: pending(store) == [], 5)
        hits = client.get("/api/v1/search", params={"q": "trễ4"}, headers=staff).json()["hits"]
        assert [h["doc_id"] for h in hits] == [doc.id]
        assert _loops()
    assert _loops() == []
    real.close()


# ---- The must-show: Elasticsearch SIGKILLed under a running `sohoa serve`, then started again -------------

SRC = str(Path(sohoa.__file__).parents[1])  # the code under test, for the server in a subprocess
LAG_SECONDS = 90  # how long search may lag once Elasticsearch answers again (rounds every 2 s)


@pytest.fixture
def private_services(services: dict[str, str]) -> Iterator[PrivateSet]:
    """A MinIO + Elasticsearch + Redis set of this test's own (the shared `services` only makes sure the
    servers are installed)."""
    with private_set(INDEX_LAG, "sohoa-lag-") as found:
        yield found


@contextmanager
def _serve(env: dict[str, str], log: Path) -> Iterator[str]:
    port = _free_port()
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-c", "from sohoa.api.cli import main; main()", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        if not until(lambda: _answers(f"{base}/api/v1/health"), 120):
            pytest.fail(f"sohoa serve did not start:\n{log.read_text()[-4000:]}")
        yield base
    finally:
        server.kill()
        server.wait(timeout=30)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_documents_uploaded_while_elasticsearch_is_down_are_found_once_it_is_back(
    private_services: PrivateSet, tmp_path: Path
) -> None:
    exports, run_dir = private_services.exports, private_services.run_dir
    store = MinioStore(
        exports["SOHOA_MINIO_ENDPOINT"],
        exports["SOHOA_MINIO_ACCESS_KEY"],
        exports["SOHOA_MINIO_SECRET_KEY"],
        bucket="sohoa-lag",
        retention_days=1,
    )
    staff = make_people(store)["staff"].headers
    server_env = {
        **os.environ,
        "PYTHONPATH": SRC,
        "SOHOA_DATA_DIR": str(tmp_path / "data"),
        "SOHOA_WORKERS": "1",
        "SOHOA_STORAGE": "minio",
        "SOHOA_MINIO_ENDPOINT": exports["SOHOA_MINIO_ENDPOINT"],
        "SOHOA_MINIO_ACCESS_KEY": exports["SOHOA_MINIO_ACCESS_KEY"],
        "SOHOA_MINIO_SECRET_KEY": exports["SOHOA_MINIO_SECRET_KEY"],
        "SOHOA_MINIO_BUCKET": "sohoa-lag",
        "SOHOA_MINIO_RETENTION_DAYS": "1",
        "SOHOA_SEARCH": "elasticsearch",
        "SOHOA_ES_URL": exports["SOHOA_ES_URL"],
        "SOHOA_ES_INDEX": "sohoa-lag",
        "SOHOA_PENDING_SECONDS": "2",
    }
    scans = []
    for seed in range(4):
        scan = tmp_path / f"giay-{seed}.png"
        make_page(seed=90 + seed, lines=4, header=False).image.save(scan, dpi=(300, 300))
        scans.append(scan)

    with _serve(server_env, tmp_path / "serve.log") as base:

        def upload(scan: Path) -> tuple[str, str]:
            files = {"file": (scan.name, scan.read_bytes(), "image/png")}
            r = httpx.post(f"{base}/api/v1/documents", files=files, headers=staff, timeout=300)
            assert r.status_code == 201, r.text  # stored; indexed now or pending
            doc = r.json()
            return doc["id"], max((w for w in doc["pages"][0]["text"].split() if w.isalpha()), key=len)

        def search(word: str) -> httpx.Response:
            return httpx.get(
                f"{base}/api/v1/search", params={"q": word, "limit": 200}, headers=staff, timeout=60
            )

        def found(doc: tuple[str, str]) -> bool:
            r = search(doc[1])
            return r.status_code == 200 and doc[0] in {h["doc_id"] for h in r.json()["hits"]}

        first = upload(scans[0])
        assert found(first) and pending(store) == []

        es = int((run_dir / "es.pid").read_text())
        os.kill(es, signal.SIGKILL)
        assert until(lambda: not alive(es), 30)
        rest = [upload(scan) for scan in scans[1:]]
        assert len({doc for doc, _ in [first, *rest]}) == 4
        assert len(pending(store)) >= 3  # one marker (at least) per document the index missed
        assert search(rest[0][1]).status_code == 503  # search says it is down, never "nothing found"

        started = time.monotonic()
        up = private_services.script("up")
        assert up.returncode == 0, up.stderr[-4000:]
        back = time.monotonic()
        # No reindex, no catch-up run here: the server's periodic round does it.
        assert until(lambda: all(found(doc) for doc in [first, *rest]), LAG_SECONDS), (
            tmp_path / "serve.log"
        ).read_text()[-4000:]
        assert until(lambda: pending(store) == [], 30)
        print(f"Elasticsearch up again in {back - started:.0f}s; found {time.monotonic() - back:.0f}s later")
    assert "pending changes indexed" in (tmp_path / "serve.log").read_text()
