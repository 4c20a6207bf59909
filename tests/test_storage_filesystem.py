"""What only the filesystem backend can show: corruption on disk is caught, a failed write leaves nothing."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from sohoa.storage import FilesystemStore, IntegrityError, ObjectNotFound


def test_corrupted_blob_is_detected_on_read(tmp_path: Path) -> None:
    store = FilesystemStore(tmp_path)
    info = store.put_bytes("documents/a/master/x.png", b"original bytes")
    blob = tmp_path / "blobs" / info.sha256[:2] / info.sha256
    blob.write_bytes(b"bit rot")
    with pytest.raises(IntegrityError):
        store.get_bytes("documents/a/master/x.png")
    with pytest.raises(IntegrityError):
        store.download("documents/a/master/x.png", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_failed_write_leaves_nothing_visible(tmp_path: Path) -> None:
    store = FilesystemStore(tmp_path)

    class Broken(io.RawIOBase):
        def __init__(self) -> None:
            self.calls = 0

        def read(self, n: int = -1) -> bytes:
            self.calls += 1
            if self.calls > 2:
                raise OSError("scanner unplugged")
            return b"x" * 1000

    with pytest.raises(OSError, match="unplugged"):
        store._put_stream("documents/a/master/y.pdf", Broken(), "application/pdf", False)
    with pytest.raises(ObjectNotFound):
        store.get_bytes("documents/a/master/y.pdf")
    assert list((tmp_path / "tmp").iterdir()) == []


def test_same_content_is_stored_once(tmp_path: Path) -> None:
    store = FilesystemStore(tmp_path)
    store.put_bytes("documents/a/master/1.pdf", b"same")
    store.put_bytes("documents/b/master/1.pdf", b"same")
    assert len(list((tmp_path / "blobs").rglob("*"))) == 2  # one prefix folder, one blob
