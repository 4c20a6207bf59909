"""The ObjectStore contract, run against every storage backend."""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from sohoa.records.models import DossierRef
from sohoa.storage import ObjectExists, ObjectLocked, ObjectNotFound, ObjectStore
from sohoa.storage.manifests import read_manifest, write_manifest


def test_put_and_get_round_trip_with_sha256(store: ObjectStore) -> None:
    data = "hồ sơ số hóa".encode()
    info = store.put_bytes("documents/a/manifest.json", data, content_type="application/json")
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert info.size == len(data)
    assert store.get_bytes("documents/a/manifest.json") == data
    stat = store.stat("documents/a/manifest.json")
    assert (stat.sha256, stat.size, stat.content_type) == (info.sha256, len(data), "application/json")


def test_missing_object(store: ObjectStore) -> None:
    assert not store.exists("documents/none/manifest.json")
    with pytest.raises(ObjectNotFound):
        store.get_bytes("documents/none/manifest.json")
    with pytest.raises(ObjectNotFound):
        store.stat("documents/none/manifest.json")


def test_put_file_streams_large_files(store: ObjectStore, tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    with big.open("wb") as f:
        for _ in range(24):  # 24 MiB, more than one chunk of every backend
            f.write(os.urandom(1024 * 1024))
    info = store.put_file("documents/b/master/x.pdf", big, content_type="application/pdf")
    assert info.sha256 == hashlib.sha256(big.read_bytes()).hexdigest()
    out = tmp_path / "out.bin"
    assert store.download("documents/b/master/x.pdf", out).sha256 == info.sha256
    assert out.read_bytes() == big.read_bytes()


def test_overwrite_replaces_whole_object(store: ObjectStore) -> None:
    store.put_bytes("documents/c/pages/1.json", b"old")
    store.put_bytes("documents/c/pages/1.json", b"new content")
    assert store.get_bytes("documents/c/pages/1.json") == b"new content"


def test_locked_objects_are_write_once(store: ObjectStore) -> None:
    store.put_bytes("documents/d/master/abc.pdf", b"master", locked=True)
    with pytest.raises(ObjectLocked):
        store.put_bytes("documents/d/master/abc.pdf", b"tampered")
    with pytest.raises(ObjectLocked):
        store.delete("documents/d/master/abc.pdf")
    assert store.get_bytes("documents/d/master/abc.pdf") == b"master"


def test_list_by_prefix_sorted(store: ObjectStore) -> None:
    for key in [
        "documents/x/pages/2.jpg",
        "documents/x/pages/1.jpg",
        "documents/y/manifest.json",
        "by-sha256/ff",
    ]:
        store.put_bytes(key, b"1")
    assert list(store.list("documents/x/")) == ["documents/x/pages/1.jpg", "documents/x/pages/2.jpg"]
    assert list(store.list("documents/")) == [
        "documents/x/pages/1.jpg",
        "documents/x/pages/2.jpg",
        "documents/y/manifest.json",
    ]
    assert list(store.list("documents/x/pages/1")) == ["documents/x/pages/1.jpg"]
    assert list(store.list("nothing/")) == []


def test_delete_derivative(store: ObjectStore) -> None:
    store.put_bytes("documents/e/searchable.pdf", b"%PDF")
    store.delete("documents/e/searchable.pdf")
    assert not store.exists("documents/e/searchable.pdf")


@pytest.mark.parametrize("key", ["../etc/passwd", "/abs", "documents/../x", "documents//x", "a b", ""])
def test_unsafe_keys_refused(store: ObjectStore, key: str) -> None:
    with pytest.raises(ValueError, match="invalid object key"):
        store.put_bytes(key, b"x")


def test_manifest_round_trip(store: ObjectStore) -> None:
    write_manifest(
        store,
        "dossiers/000.00.11.H29-250912-0007/manifest.json",
        DossierRef(code="000.00.11.H29-250912-0007"),
    )
    got = read_manifest(store, "dossiers/000.00.11.H29-250912-0007/manifest.json", DossierRef)
    assert got.code == "000.00.11.H29-250912-0007"


def test_create_bytes_only_once(store: ObjectStore) -> None:
    store.create_bytes("claims/a.json", b"first", content_type="application/json")
    with pytest.raises(ObjectExists):
        store.create_bytes("claims/a.json", b"second")
    assert store.get_bytes("claims/a.json") == b"first"
    store.create_bytes("claims/b.json", b"locked", locked=True)
    with pytest.raises(ObjectExists):
        store.create_bytes("claims/b.json", b"again")
    with pytest.raises(ObjectExists):
        store.create_bytes("claims/b.json", b"again", locked=True)


def test_create_bytes_has_exactly_one_winner_under_a_race(store: ObjectStore) -> None:
    def claim(n: int) -> int | None:
        try:
            store.create_bytes("claims/race.json", str(n).encode())
        except ObjectExists:
            return None
        return n

    with ThreadPoolExecutor(8) as pool:
        winners = [n for n in pool.map(claim, range(16)) if n is not None]
    assert len(winners) == 1
    assert store.get_bytes("claims/race.json") == str(winners[0]).encode()
