"""Changes made side by side, on both backend pairs: the same file uploaded five times at once is one
document, and exactly one answer says it was created; a master written by another committer between the
look and the write is taken as stored."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from people import make_people
from sohoa.api.app import create_app
from sohoa.api.backends import Backends
from sohoa.api.settings import Settings
from sohoa.archive.writes import store_master
from sohoa.ingest.executor import InlineExecutor
from sohoa.samples.scangen import make_page
from sohoa.search.base import SearchIndex
from sohoa.storage.base import ObjectInfo, ObjectLocked, ObjectNotFound, ObjectStore


@pytest.fixture
def api(
    store: ObjectStore, index: SearchIndex, tmp_path: Path
) -> Iterator[tuple[TestClient, dict, ObjectStore]]:
    settings = Settings(data_dir=tmp_path / "data", workers=1)
    people = make_people(store)
    app = create_app(settings, backends=Backends(settings, store, index, InlineExecutor()))
    with TestClient(app, base_url="https://testserver") as client:
        yield client, {name: p.headers for name, p in people.items()}, store


def test_five_parallel_uploads_of_one_file_are_one_document_and_one_created(
    api: tuple[TestClient, dict, ObjectStore], tmp_path: Path
) -> None:
    client, headers, store = api
    scan = tmp_path / "same.png"
    make_page(seed=21, lines=5).image.save(scan, dpi=(300, 300))
    data = scan.read_bytes()

    def upload(_: int) -> tuple[int, str]:
        r = client.post(
            "/api/v1/documents", files={"file": ("same.png", data, "image/png")}, headers=headers["staff"]
        )
        return r.status_code, r.json().get("id", r.text)

    with ThreadPoolExecutor(max_workers=5) as pool:
        answers = list(pool.map(upload, range(5)))
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200, 200, 200, 200, 201], answers
    assert len({doc_id for _, doc_id in answers}) == 1
    assert len([k for k in store.list("documents/") if k.endswith("/manifest.json")]) == 1
    assert len(list(store.list("by-sha256/"))) == 1


class _LookedBeforeTheOther:
    """The store as one committer sees it when another commits the same file side by side: its look at
    the master's key comes just before the other's write (which this proxy makes, on the real store)."""

    def __init__(self, store: ObjectStore, other: Path, media_type: str) -> None:
        self._store, self._media_type = store, media_type
        self._other: Path | None = other

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    def stat(self, key: str) -> ObjectInfo:
        if self._other is not None:
            other, self._other = self._other, None
            with pytest.raises(ObjectNotFound):
                self._store.stat(key)
            self._store.put_file(key, other, content_type=self._media_type, locked=True)
            raise ObjectNotFound(key)
        return self._store.stat(key)


def test_a_master_written_by_another_committer_after_the_look_is_taken_as_stored(
    store: ObjectStore, tmp_path: Path
) -> None:
    scan = tmp_path / "same.png"
    make_page(seed=22, lines=2).image.save(scan)
    sha = hashlib.sha256(scan.read_bytes()).hexdigest()
    racing = _LookedBeforeTheOther(store, scan, "image/png")
    key = store_master(racing, "doc1", scan, sha, "png", "image/png")  # type: ignore[arg-type]
    assert store.get_bytes(key) == scan.read_bytes()
    assert [k for k in store.list("documents/doc1/")] == [key]


def test_other_bytes_under_a_master_key_stay_refused(store: ObjectStore, tmp_path: Path) -> None:
    scan, other = tmp_path / "same.png", tmp_path / "other.png"
    make_page(seed=22, lines=2).image.save(scan)
    make_page(seed=23, lines=2).image.save(other)
    sha = hashlib.sha256(scan.read_bytes()).hexdigest()
    racing = _LookedBeforeTheOther(store, other, "image/png")
    with pytest.raises(ObjectLocked):
        store_master(racing, "doc1", scan, sha, "png", "image/png")  # type: ignore[arg-type]
    assert store.get_bytes(store_master(store, "doc2", scan, sha, "png", "image/png")) == scan.read_bytes()
