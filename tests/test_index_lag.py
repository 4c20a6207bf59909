"""The index can lag but never lose: what is stored while the index refuses writes is found by search once
it answers again, replayed by the periodic catch-up of the running process (ingest.catchup), with no
reindex or `sohoa catch-up` run by anyone.

The fast tests run the loop on the embedded pair, with a real SQLite index wrapped so that its writes fail
(as a locked or full database does) until the test lets them through. The must-show test runs a private
MinIO + Elasticsearch + Redis set from deploy/services.sh (its own run directory and ports: tests/ports.py),
a real `sohoa serve` on it, uploads through the API, and SIGKILLs that Elasticsearch mid-way.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from people import AGENCY, make_people
from sohoa.api.app import create_app
from sohoa.api.settings import Settings
from sohoa.archive.documents import load_document
from sohoa.archive.pending import index_again, pending
from sohoa.ingest.catchup import start_catch_up
from sohoa.records.models import Document, Page
from sohoa.search.base import SearchIndex, SearchQuery
from sohoa.search.sqlite import SqliteIndex
from sohoa.storage import keys
from sohoa.storage.base import ObjectStore
from sohoa.storage.filesystem import FilesystemStore
from sohoa.storage.manifests import write_manifest

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
    doc_id = f"{n:024x}"
    document = Document(
        id=doc_id,
        master_key=keys.document_manifest(doc_id).replace("manifest.json", "master.pdf"),
        master_sha256="0" * 64,
        master_name=f"giay-{n}.pdf",
        master_media_type="application/pdf",
        master_size=1,
        pages=[Page(number=1, text=f"Giấy khai sinh hồ sơ trễ{n}", image_key="i", words_key="w")],
        page_count=1,
        agency=AGENCY,
    )
    write_manifest(store, keys.document_manifest(doc_id), document)
    return load_document(store, doc_id)


def _found(index: SearchIndex, word: str) -> list[str]:
    return [h.doc_id for h in index.search(SearchQuery(text=word, limit=50)).hits]


def _until(check: Callable[[], bool], seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.05)
    return check()


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
        assert _until(lambda: index.refused >= 3, 5)
        index.error = RuntimeError("a bug in a round")
        tried = index.refused
        assert _until(lambda: index.refused >= tried + 2, 5)
        assert len(pending(store)) == 2 and _loops()
        index.error = None  # the index answers again
        assert _until(lambda: pending(store) == [], 5)
    finally:
        stop()
    assert _loops() == []  # stopped: the thread is gone
    assert {d for n in (1, 2) for d in _found(real, f"trễ{n}")} == {d.id for d in docs}


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
        assert _until(lambda: pending(store) == [], 5)
        hits = client.get("/api/v1/search", params={"q": "trễ4"}, headers=staff).json()["hits"]
        assert [h["doc_id"] for h in hits] == [doc.id]
        assert _loops()
    assert _loops() == []
    real.close()
